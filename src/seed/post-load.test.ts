import { describe, expect, it } from 'vitest';
import type { TableName } from '../generate/tables.ts';
import type { TableLayout } from './layout.ts';
import type { Model } from '../generate/model.ts';
import { postLoadTasks, probeStrategy } from './post-load.ts';
import { relativeBuildCost } from './seed-time.ts';

const leaves = (n: number): TableLayout => ({ table: 'reactions', kind: 'routed', unlogged: false, leaves: Array.from({ length: n }, (_, i) => ({ relation: `r${i}`, from: i, to: i + 1, isDefault: false })) });
const rows = { messages: 100e6, reactions: 30e6, message_edits: 2.9e6 } as Record<TableName, number>;
const fk = (table: string) => ({ referencesKind: 'p', table, references: 'messages', leaves: [] as string[] });

describe('how a leaf is checked against a partitioned table', () => {
  it('merges over the key indexes while few partitions are read again, probes otherwise', () => {
    // monthly: (4 + 1) / 2 * 100M < 15 * 30M
    expect(probeStrategy(fk('reactions'), { rows, layouts: new Map([['reactions', leaves(4)]]) })).toBe('merge');
    // weekly: (14 + 1) / 2 * 100M > 15 * 30M
    expect(probeStrategy(fk('reactions'), { rows, layouts: new Map([['reactions', leaves(14)]]) })).toBe('probes');
    // few referencing rows: probes
    expect(probeStrategy(fk('message_edits'), { rows, layouts: new Map([['message_edits', { ...leaves(4), table: 'message_edits' }]]) })).toBe('probes');
  });

  it('leaves the planner alone against a plain table', () => {
    expect(probeStrategy({ ...fk('reactions'), referencesKind: 'r' }, { rows, layouts: new Map() })).toBe('planner');
  });
});

describe('the maintenance tasks, derived from the layouts', () => {
  const plan = { early: [], builds: [], attach: [], foreignKeys: [], late: [], migrations: [] };
  const tasksFor = (versionNum: number) => {
    const layouts = new Map<TableName, TableLayout>([
      ['reactions', leaves(2)],
      ['attachments', { table: 'attachments', kind: 'parent', unlogged: false, leaves: [{ relation: 'attachments', from: -Infinity, to: Infinity, isDefault: false }], partitions: ['a_even', 'a_odd'], reason: 'list partitions' }],
      ['users', { table: 'users', kind: 'plain', unlogged: false, leaves: [{ relation: 'users', from: -Infinity, to: Infinity, isDefault: false }] }],
    ]);
    const all = postLoadTasks({ variant: 'v', schema: 's', plan, layouts, model: {} as Model, verify: 'none', rows, pages: new Map(), server: { versionNum, maxParallelMaintenanceWorkers: 1 } });
    return new Map(all.filter((t) => t.step === 'analyze').map((t) => [t.key, t]));
  };

  it('vacuums each leaf of a table loaded through its parent (not frozen), analyzes the rest', () => {
    const t = tasksFor(180000);
    expect([...t.keys()].sort()).toEqual(['analyze:a_even', 'analyze:a_odd', 'analyze:attachments', 'analyze:r0', 'analyze:r1', 'analyze:reactions', 'analyze:users']);
    expect(['analyze:a_even', 'analyze:a_odd'].map((k) => t.get(k)!.outsideTransaction)).toEqual([true, true]);
    expect(['analyze:r0', 'analyze:users', 'analyze:attachments'].map((k) => Boolean(t.get(k)!.outsideTransaction))).toEqual([false, false, false]);
    // 18+: the parent's ANALYZE ONLY runs beside its leaves' work
    expect(t.get('analyze:attachments')!.exclusive).toEqual(['maint:attachments']);
  });

  it('the DDL runs first by priority, not by weight: weights stay costs, so the ETA\'s share of work done is not all done after the DDL', () => {
    const all = postLoadTasks({ variant: 'v', schema: 's', plan, layouts: new Map([['reactions', leaves(2)]]), model: {} as Model, verify: 'none', rows, pages: new Map([['r0', 1e6], ['r1', 1e6]]), server: { versionNum: 180000, maxParallelMaintenanceWorkers: 1 } });
    const ddl = all.find((t) => t.key === 'ddl')!;
    expect(ddl.first).toBe(true);
    expect(ddl.weight / all.reduce((a, t) => a + t.weight, 0)).toBeLessThan(0.01);
  });

  it('weighs each build by its kind as the time model costs it: full text by the rows it parses, the mentions GIN about as a primary key (not 2.5x a B-tree)', () => {
    const build = (index: string, method: string, createSql: string, constraintSql?: string) => ({ index, relation: 'm0', parent: 'messages', createSql, constraintSql, method, unique: false });
    // As the plan has them: the catalog's definition of each leaf's index, on the leaf.
    const builds = [
      build('m0_pkey', 'btree', 'CREATE UNIQUE INDEX "m0_pkey" ON "m0" USING btree (id, created_at)', 'ALTER TABLE "m0" ADD CONSTRAINT "m0_pkey" PRIMARY KEY USING INDEX "m0_pkey"'),
      build('m0_channel', 'btree', 'CREATE INDEX "m0_channel" ON "m0" USING btree (channel_id, id)'),
      build('m0_fts', 'gin', `CREATE INDEX "m0_fts" ON "m0" USING gin (to_tsvector('simple'::regconfig, content))`),
      build('m0_mentions', 'gin', 'CREATE INDEX "m0_mentions" ON "m0" USING gin (mention_user_ids) WHERE (mention_user_ids IS NOT NULL)'),
      build('m0_thread', 'btree', 'CREATE INDEX "m0_thread" ON "m0" USING btree (thread_id, id) WHERE (thread_id IS NOT NULL)'),
    ];
    const all = postLoadTasks({ variant: 'v', schema: 's', plan: { ...plan, builds }, layouts: new Map(), model: {} as Model, verify: 'none', rows, pages: new Map([['m0', 1000]]), server: { versionNum: 180000, maxParallelMaintenanceWorkers: 1 } });
    const w = (k: string) => all.find((t) => t.key === `index:${k}`)!.weight;
    expect(w('m0_pkey')).toBeCloseTo(1000 * relativeBuildCost('btree-sorted'));
    expect(w('m0_channel')).toBeCloseTo(1000 * relativeBuildCost('btree'));
    expect(w('m0_fts')).toBeCloseTo(1000 * relativeBuildCost('full-text'));
    expect(w('m0_thread')).toBeCloseTo(1000 * relativeBuildCost('btree-sparse'));
    // Measured per partition of 33M messages: 35.6-36.7 s against the key's 36-49 s.
    expect(w('m0_mentions') / w('m0_pkey')).toBeGreaterThan(0.5);
    expect(w('m0_mentions') / w('m0_pkey')).toBeLessThan(2);
    expect(w('m0_fts') / w('m0_channel')).toBeGreaterThan(20);
  });

  it('before 18 a parent ANALYZE recurses into the leaves, so it never runs beside their VACUUM', () => {
    expect(tasksFor(150000).get('analyze:attachments')!.exclusive).toEqual(['maint:attachments', 'maint:a_even', 'maint:a_odd']);
  });
});
