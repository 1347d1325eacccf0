import { describe, expect, it } from 'vitest';
import { SCHEMAS_DIR } from '../config/paths.ts';
import { createWriter } from '../copy/writer.ts';
import { loadModel } from '../generate/model.ts';
import type { DataPlan } from '../generate/plan.ts';
import { LOAD_ORDER, MESSAGE_FAMILY, TABLES, writeMessageFamily, writeTableRows, type TableName } from '../generate/tables.ts';
import { loadVariants } from '../schema/variants.ts';
import { designIndexes, estimateVariant } from './estimate.ts';
import { buildKind, indexKind, parseIndexDefinition, type IndexKind } from './index-kind.ts';

const variants = loadVariants(SCHEMAS_DIR);
const rows = { messages: 1e6, reactions: 3e5, attachments: 5e4, message_edits: 3e4, users: 5e3, server_members: 2e4, read_states: 1e5, friendships: 1e4, channels: 1e3, member_roles: 1e3, dm_participants: 1e3 };
const plan = { rows, exact: [] } as unknown as DataPlan;
const cal = { rowBytes: { messages: 150 }, contentBytes: 60 };

/** The dry run's kind: the estimate's, from the design's SQL. */
const estimated = (variant: string, table: string, index: string) => estimateVariant(variants.find((v) => v.name === variant)!, plan, cal).tables.find((t) => t.table === table)!.indexKinds[index];

/**
 * The post-load order's view of the same indexes: what pg_get_indexdef printed for a January leaf
 * (PostgreSQL 15 and 18 alike), rewritten onto the leaf as the plan does (post-load-plan.ts). Every
 * index of every design is compared so on a real server in test/schema.test.ts.
 */
const leaf = 'CREATE INDEX "messages_p20260101_x" ON "messages_p20260101" USING';
const CASES: Array<{ variant: string; table?: string; index: string; createSql: string; parent?: string; kind: IndexKind }> = [
  { variant: 'btree-monthly', index: 'messages_pkey', createSql: 'CREATE UNIQUE INDEX "messages_p20260101_pkey" ON "messages_p20260101" USING btree (id, created_at)', parent: 'messages', kind: 'btree-sorted' },
  { variant: 'btree-monthly', index: 'messages_channel_id_idx', createSql: `${leaf} btree (channel_id, id)`, parent: 'messages', kind: 'btree' },
  { variant: 'btree-monthly', index: 'messages_author_id_idx', createSql: `${leaf} btree (author_id)`, parent: 'messages', kind: 'btree' },
  { variant: 'btree-monthly', index: 'messages_thread_id_idx', createSql: `${leaf} btree (thread_id, id) WHERE (thread_id IS NOT NULL)`, parent: 'messages', kind: 'btree-sparse' },
  { variant: 'btree-monthly', index: 'messages_mentions_idx', createSql: `${leaf} gin (mention_user_ids) WHERE (mention_user_ids IS NOT NULL)`, parent: 'messages', kind: 'gin-array' },
  { variant: 'btree-monthly', index: 'messages_created_at_idx', createSql: `${leaf} btree (created_at)`, parent: 'messages', kind: 'btree-sorted' },
  { variant: 'brin-monthly', index: 'messages_created_at_idx', createSql: `${leaf} brin (created_at) WITH (pages_per_range='32')`, parent: 'messages', kind: 'brin' },
  { variant: 'btree-monthly-fts', index: 'messages_content_fts_idx', createSql: `${leaf} gin (to_tsvector('simple'::regconfig, content))`, parent: 'messages', kind: 'full-text' },
  { variant: 'btree-partial-covering', index: 'messages_channel_id_idx', createSql: 'CREATE INDEX "messages_channel_id_idx" ON "messages" USING btree (channel_id)', kind: 'btree' },
  { variant: 'btree-partial-covering', index: 'messages_channel_history_idx', createSql: 'CREATE INDEX "messages_channel_history_idx" ON "messages" USING btree (channel_id, id) INCLUDE (author_id, created_at, reply_to_id, attachment_count, edited_at) WHERE ((deleted_at IS NULL) AND (thread_id IS NULL))', kind: 'btree' },
  { variant: 'btree-partial-covering', index: 'messages_channel_live_idx', createSql: 'CREATE INDEX "messages_channel_live_idx" ON "messages" USING btree (channel_id, id) WHERE (deleted_at IS NULL)', kind: 'btree' },
  { variant: 'btree-partial-covering', index: 'messages_created_at_idx', createSql: 'CREATE INDEX "messages_created_at_idx" ON "messages" USING btree (created_at) WHERE (deleted_at IS NULL)', kind: 'btree-sorted' },
  { variant: 'btree-unpartitioned', table: 'users', index: 'users_username_lower_key', createSql: 'CREATE UNIQUE INDEX "users_username_lower_key" ON "users" USING btree (lower(username))', kind: 'btree' },
  { variant: 'btree-unpartitioned', table: 'reactions', index: 'reactions_pkey', createSql: 'CREATE UNIQUE INDEX "reactions_pkey" ON "reactions" USING btree (message_id, message_created_at, emoji, user_id)', kind: 'btree-sorted' },
  // Primary keys whose rows do not come in key order: at 100M they built at a random key's speed.
  { variant: 'btree-unpartitioned', table: 'attachments', index: 'attachments_pkey', createSql: 'CREATE UNIQUE INDEX "attachments_pkey" ON "attachments" USING btree (id, message_created_at)', kind: 'btree' },
  { variant: 'btree-unpartitioned', table: 'read_states', index: 'read_states_pkey', createSql: 'CREATE UNIQUE INDEX "read_states_pkey" ON "read_states" USING btree (user_id, channel_id)', kind: 'btree' },
  { variant: 'btree-unpartitioned', table: 'friendships', index: 'friendships_pkey', createSql: 'CREATE UNIQUE INDEX "friendships_pkey" ON "friendships" USING btree (user_low, user_high)', kind: 'btree' },
  // And an index that is no key whose rows do (attachments come with their message, in its order).
  { variant: 'btree-monthly', table: 'attachments', index: 'attachments_message_id_idx', createSql: 'CREATE INDEX "attachments_p20260101_x" ON "attachments_p20260101" USING btree (message_id, message_created_at)', parent: 'attachments', kind: 'btree-sorted' },
];

/** Columns of a table whose values never decrease along the rows the generator writes (text COPY, nulls last). */
async function ascendingInRows(): Promise<Map<TableName, string[]>> {
  const m = await loadModel({ seed: 7, messages: 5_000, users: 300, servers: 8, startMs: Date.UTC(2026, 0, 1), days: 10 });
  const family = { messages: createWriter('text'), message_edits: createWriter('text'), reactions: createWriter('text'), attachments: createWriter('text') };
  writeMessageFamily(m, family, 0, m.params.messages);
  const order = (a: string, b: string) => (a === '\\N' ? (b === '\\N' ? 0 : 1) : b === '\\N' ? -1 : /^-?\d+$/.test(a) && /^-?\d+$/.test(b) ? Number(BigInt(a) - BigInt(b)) : a < b ? -1 : a > b ? 1 : 0);
  const out = new Map<TableName, string[]>();
  for (const t of LOAD_ORDER) {
    let w = family[t as keyof typeof family];
    if (!MESSAGE_FAMILY.includes(t)) writeTableRows(m, t, (w = createWriter('text')), 0, TABLES[t].units(m));
    const rows = w.take().toString('utf8').split('\n').filter(Boolean).map((line) => line.split('\t'));
    out.set(t, TABLES[t].columns.filter((_, i) => rows.every((r, k) => k === 0 || order(rows[k - 1][i], r[i]) <= 0)));
  }
  return out;
}

describe('the kind of an index, from what the design creates', () => {
  it.each(CASES)('$variant $index is $kind in the dry run and in the post-load order alike', (c) => {
    expect(estimated(c.variant, c.table ?? 'messages', c.index)).toBe(c.kind);
    expect(buildKind({ createSql: c.createSql, method: /USING (\w+)/.exec(c.createSql)![1], relation: parseIndexDefinition(c.createSql)!.table, parent: c.parent })).toBe(c.kind);
  });

  it('costs a B-tree as sorted exactly when the generator writes its leading column in ascending order, in every design', async () => {
    const ascending = await ascendingInRows();
    for (const t of LOAD_ORDER) expect(ascending.get(t), `${t}: the columns it declares ascending`).toEqual(expect.arrayContaining([...TABLES[t].ascending]));
    let sorted = 0;
    for (const v of variants) {
      for (const def of designIndexes(v).values()) {
        const kind = indexKind(def);
        if (kind !== 'btree' && kind !== 'btree-sorted') continue;
        const leading = /^\w+$/.test(def.keys[0]) ? def.keys[0] : undefined;
        const inOrder = leading !== undefined && (ascending.get(def.table as TableName) ?? []).includes(leading);
        expect(kind, `${v.name} ${def.name} (${def.keys.join(', ')})`).toBe(inOrder ? 'btree-sorted' : 'btree');
        if (inOrder) sorted++;
      }
    }
    expect(sorted).toBeGreaterThan(variants.length * 10); // the designs' B-trees were read: 207 sorted in 11 designs
  });

  it('finds every index the estimate sizes among those the design creates, so none is costed by a guess', () => {
    for (const v of variants) {
      const defs = designIndexes(v);
      for (const t of estimateVariant(v, plan, cal).tables) {
        for (const name of Object.keys(t.indexes)) expect(defs.get(name)?.table, `${v.name} ${name}`).toBe(t.table);
      }
    }
  });

  it('detects full text in the design that has it, and only there', () => {
    for (const v of variants) {
      const kinds = estimateVariant(v, plan, cal).tables.find((t) => t.table === 'messages')!.indexKinds;
      expect(Object.values(kinds).includes('full-text'), v.name).toBe(v.features.fullTextSearch);
      expect(kinds.messages_mentions_idx, v.name).toBe('gin-array');
    }
  });

  it('reads a definition as a design writes it or as the catalog prints it', () => {
    expect(parseIndexDefinition('-- the key\nALTER TABLE messages ADD CONSTRAINT messages_pkey PRIMARY KEY (id, created_at, channel_id);')).toEqual({ name: 'messages_pkey', table: 'messages', method: 'btree', keys: ['id', 'created_at', 'channel_id'] });
    expect(parseIndexDefinition('CREATE INDEX x ON public.messages_p20260101 USING btree (channel_id, id) INCLUDE (author_id) WHERE ((deleted_at IS NULL) AND (thread_id IS NULL))')).toEqual({ name: 'x', table: 'messages_p20260101', method: 'btree', keys: ['channel_id', 'id'], predicate: '((deleted_at IS NULL) AND (thread_id IS NULL))' });
    expect(parseIndexDefinition('CREATE INDEX "Odd ""name""" ON ONLY "Msgs" (created_at DESC)')).toMatchObject({ name: 'Odd "name"', table: 'Msgs', keys: ['created_at DESC'] });
    expect(parseIndexDefinition('ALTER TABLE messages ADD CONSTRAINT messages_channel_fk FOREIGN KEY (channel_id) REFERENCES channels (id)')).toBeUndefined();
    expect(parseIndexDefinition('CREATE TABLE x (id int)')).toBeUndefined();
  });

  it('costs a partial index that keeps most rows as a full one, any index over to_tsvector as full text, and other methods as other', () => {
    const kind = (sql: string) => indexKind(parseIndexDefinition(sql)!);
    expect(kind('CREATE INDEX a ON t (x) WHERE y IS NOT NULL')).toBe('btree-sparse');
    expect(kind('CREATE INDEX a ON t (x) WHERE y IS NULL')).toBe('btree');
    expect(kind('CREATE INDEX a ON t (x) WHERE (y IS NULL) AND (z IS NOT NULL)')).toBe('btree-sparse');
    expect(kind('CREATE INDEX a ON t (x) WHERE brand_new')).toBe('btree');
    expect(kind('CREATE INDEX a ON t USING gist (to_tsvector(\'simple\', body))')).toBe('full-text');
    expect(kind('CREATE INDEX a ON t USING hash (x)')).toBe('other');
  });
});
