import path from 'node:path';
import os from 'node:os';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SCHEMAS_DIR } from '../config/paths.ts';
import { UsageError } from '../errors.ts';
import { findVariant, loadVariants, pickVariants, renderFragment, schemaNameOf, type VariantManifest } from './variants.ts';

const base: VariantManifest = { name: 'x', summary: 's', hypothesis: 'h'.repeat(50), partitioning: null, timeIndex: 'btree', features: { fullTextSearch: false, messageCountTrigger: true } };

describe('variants', () => {
  it('ships the five layouts and their hypotheses', () => {
    const names = loadVariants(SCHEMAS_DIR).map((v) => v.name);
    for (const n of ['btree-unpartitioned', 'btree-monthly', 'btree-weekly', 'brin-monthly', 'brin-weekly']) expect(names).toContain(n);
    expect(names[0]).toBe('btree-unpartitioned');
  });
  it('split migrations into phases: tables before the load, keys and triggers after', () => {
    const v = findVariant(loadVariants(SCHEMAS_DIR), 'brin-weekly');
    expect(v.migrations.filter((m) => m.phase === 'pre-load').map((m) => m.name)).toEqual(['01_functions', '02_tables', '03_messages', '04_retention']);
    expect(v.migrations.find((m) => m.name === '06_time_index_brin')?.up).toContain('USING brin');
    expect(v.migrations.find((m) => m.name === '03_messages')?.up).toContain('PARTITION BY RANGE (created_at)');
    expect(v.schema).toBe('chatbench_brin_weekly');
    expect(schemaNameOf('btree-monthly-fts')).toBe('chatbench_btree_monthly_fts');
  });
  it('render conditional blocks and the partition unit, and refuse unknown tags', () => {
    const sql = 'A{{#partitioned}} P {{partition_unit}}{{/partitioned}}{{^partitioned}} U{{/partitioned}}';
    expect(renderFragment(sql, base, 'f')).toBe('A U\n');
    expect(renderFragment(sql, { ...base, partitioning: { unit: 'week' } }, 'f')).toBe('A P week\n');
    expect(() => renderFragment('{{oops}}', base, 'f')).toThrow('unknown template tag {{oops}}');
  });
  it('reject unknown names, listing the valid ones', () => {
    const all = loadVariants(SCHEMAS_DIR);
    expect(() => pickVariants(all, 'btree-monthly,nope')).toThrow(UsageError);
    expect(() => pickVariants(all, 'nope')).toThrow(/expected one or more of btree-unpartitioned, /);
    expect(pickVariants(all, 'all')).toHaveLength(all.length);
  });
  it('refuse a manifest with a one-line reason naming the field', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatbench-manifests-'));
    fs.cpSync(path.join(SCHEMAS_DIR, 'fragments'), path.join(dir, 'fragments'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'variants'));
    const good = { name: 'mine', summary: 's', hypothesis: 'h'.repeat(50), partitioning: null, timeIndex: 'btree', features: { fullTextSearch: false, messageCountTrigger: true } };
    try {
      for (const [change, reason] of [
        [{ name: 'Mine' }, 'name must be lowercase letters, digits and dashes'],
        [{ name: 'other' }, 'name "other" must match the file name'],
        [{ hypothesis: 'too short' }, 'summary and a hypothesis paragraph are required'],
        [{ partitioning: { unit: 'day' } }, 'partitioning must be null or {"unit": "week" | "month"}'],
        [{ timeIndex: 'hash' }, 'timeIndex must be "btree" or "brin"'],
        [{ features: { fullTextSearch: 'yes', messageCountTrigger: true } }, 'features.fullTextSearch and features.messageCountTrigger must be true or false'],
      ] as const) {
        fs.writeFileSync(path.join(dir, 'variants', 'mine.json'), JSON.stringify({ ...good, ...change }));
        expect(() => loadVariants(dir), reason).toThrow(`invalid variant manifest ${path.join(dir, 'variants', 'mine.json')}: ${reason}`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
