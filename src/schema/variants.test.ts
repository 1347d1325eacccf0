import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCHEMAS_DIR } from '../config/paths.ts';
import { UsageError } from '../errors.ts';
import { findVariant, loadVariants, pickVariants, renderFragment, schemaNameOf, type VariantManifest } from './variants.ts';

const base: VariantManifest = { name: 'x', summary: 's', hypothesis: 'h'.repeat(50), partitioning: null, timeIndex: 'btree', features: { fullTextSearch: false, messageCountTrigger: true } };

describe('variants', () => {
  it('ships the layouts and their hypotheses, the baseline first', () => {
    const names = loadVariants(SCHEMAS_DIR).map((v) => v.name);
    for (const n of ['btree-unpartitioned', 'btree-monthly', 'btree-weekly', 'brin-monthly', 'brin-weekly', 'btree-idrange-monthly', 'btree-idrange-weekly', 'btree-partial-covering', 'hash-channel-16']) expect(names).toContain(n);
    expect(names[0]).toBe('btree-unpartitioned');
  });
  it('partition by time, by snowflake id with the same periods, or by channel hash; children follow', () => {
    const all = loadVariants(SCHEMAS_DIR);
    const messagesOf = (name: string) => findVariant(all, name).migrations.find((m) => m.name === '03_messages')!.up;
    expect(messagesOf('btree-weekly')).toContain('PARTITION BY RANGE (created_at)');
    expect(messagesOf('btree-weekly')).toContain('PARTITION BY RANGE (message_created_at)');
    expect(messagesOf('btree-idrange-weekly')).toContain('PARTITION BY RANGE (id)');
    expect(messagesOf('btree-idrange-weekly')).toContain('PARTITION BY RANGE (message_id)');
    expect(messagesOf('hash-channel-16')).toContain('PARTITION BY HASH (channel_id)');
    expect(messagesOf('hash-channel-16')).toContain('MODULUS 16');
    // no DEFAULT partition anywhere: it would forbid DETACH PARTITION ... CONCURRENTLY
    for (const v of all) expect(v.migrations.map((m) => m.up).join('\n')).not.toMatch(/PARTITION OF \w+ DEFAULT/);
    const keys = (name: string) => findVariant(all, name).migrations.find((m) => m.name === '05_keys')!.up;
    expect(keys('btree-partial-covering')).toMatch(/INCLUDE \(author_id, created_at, reply_to_id, attachment_count, edited_at\)\s+WHERE deleted_at IS NULL AND thread_id IS NULL/);
    expect(keys('hash-channel-16')).toContain('PRIMARY KEY (id, created_at, channel_id)');
    expect(keys('btree-idrange-monthly')).toContain('attachments_pkey PRIMARY KEY (id, message_id)');
    expect(keys('btree-monthly')).toContain('attachments_pkey PRIMARY KEY (id, message_created_at)');
  });
  it('split migrations into phases: tables before the load, keys and triggers after', () => {
    const v = findVariant(loadVariants(SCHEMAS_DIR), 'brin-weekly');
    expect(v.migrations.filter((m) => m.phase === 'pre-load').map((m) => m.name)).toEqual(['01_functions', '02_tables', '03_messages', '04_retention']);
    expect(v.migrations.find((m) => m.name === '06_time_index_brin')?.up).toContain('USING brin');
    expect(v.migrations.find((m) => m.name === '03_messages')?.up).toContain('PARTITION BY RANGE (created_at)');
    expect(v.schema).toBe('chatbench_brin_weekly');
    expect(schemaNameOf('btree-monthly-fts')).toBe('chatbench_btree_monthly_fts');
  });
  it('render conditional blocks, nested ones and values, and refuse unknown tags and missing values', () => {
    const sql = 'A{{#partitioned}} P {{partition_unit}}{{/partitioned}}{{^partitioned}} U{{/partitioned}}';
    expect(renderFragment(sql, base, 'f')).toBe('A U\n');
    expect(renderFragment(sql, { ...base, partitioning: { by: 'created_at', unit: 'week' } }, 'f')).toBe('A P week\n');
    const nested = '{{#partitioned}}[{{#id_partitioned}}id {{/id_partitioned}}{{^id_partitioned}}time {{/id_partitioned}}{{child_key}}]{{/partitioned}}';
    expect(renderFragment(nested, { ...base, partitioning: { by: 'id', unit: 'month' } }, 'f')).toBe('[id message_id]\n');
    expect(renderFragment(nested, { ...base, partitioning: { by: 'created_at', unit: 'month' } }, 'f')).toBe('[time message_created_at]\n');
    expect(renderFragment('{{#hash_partitioned}}{{hash_partitions}}{{/hash_partitioned}}', { ...base, partitioning: { by: 'channel_id', partitions: 8 } }, 'f')).toBe('8\n');
    expect(() => renderFragment('{{oops}}', base, 'f')).toThrow('unknown template tag {{oops}}');
    expect(() => renderFragment('{{#oops}}x{{/oops}}', base, 'f')).toThrow('unknown template section {{#oops}}');
    expect(() => renderFragment('{{partition_unit}}', base, 'f')).toThrow(/has no partition unit/);
  });
  it('read partitioning from a manifest ({"unit"} alone is by time) and refuse shapes that mean nothing', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatbench-manifests-'));
    fs.cpSync(path.join(SCHEMAS_DIR, 'fragments'), path.join(dir, 'fragments'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'variants'));
    const write = (partitioning: unknown) => fs.writeFileSync(path.join(dir, 'variants', 'mine.json'), JSON.stringify({ ...base, name: 'mine', partitioning }));
    try {
      write({ unit: 'week' });
      expect(loadVariants(dir)[0].partitioning).toEqual({ by: 'created_at', unit: 'week' });
      for (const bad of [{ by: 'channel_id', unit: 'week' }, { by: 'id' }, { by: 'channel_id', partitions: 1 }, { by: 'author_id', unit: 'month' }, 'weekly']) {
        write(bad);
        expect(() => loadVariants(dir), JSON.stringify(bad)).toThrow(/invalid variant manifest .*mine\.json: partitioning must be null, \{"by": "created_at" \| "id"/);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  it('reject unknown names, listing the valid ones', () => {
    const all = loadVariants(SCHEMAS_DIR);
    expect(() => pickVariants(all, 'btree-monthly,nope')).toThrow(UsageError);
    expect(() => pickVariants(all, 'nope')).toThrow(/expected one or more of btree-unpartitioned, /);
    expect(pickVariants(all, 'all')).toHaveLength(all.length);
  });
});
