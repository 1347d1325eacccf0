import { describe, expect, it } from 'vitest';
import { SCHEMAS_DIR } from '../config/paths.ts';
import type { DataPlan } from '../generate/plan.ts';
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
 * (PostgreSQL 15 and 18 alike), rewritten onto the leaf as the plan does (post-load-plan.ts).
 */
const leaf = 'CREATE INDEX "messages_p20260101_x" ON "messages_p20260101" USING';
const CASES: Array<{ variant: string; table?: string; index: string; createSql: string; constraintSql?: string; kind: IndexKind }> = [
  { variant: 'btree-monthly', index: 'messages_pkey', createSql: 'CREATE UNIQUE INDEX "messages_p20260101_pkey" ON "messages_p20260101" USING btree (id, created_at)', constraintSql: 'ALTER TABLE "messages_p20260101" ADD CONSTRAINT "messages_p20260101_pkey" PRIMARY KEY USING INDEX "messages_p20260101_pkey"', kind: 'btree-sorted' },
  { variant: 'btree-monthly', index: 'messages_channel_id_idx', createSql: `${leaf} btree (channel_id, id)`, kind: 'btree' },
  { variant: 'btree-monthly', index: 'messages_author_id_idx', createSql: `${leaf} btree (author_id)`, kind: 'btree' },
  { variant: 'btree-monthly', index: 'messages_thread_id_idx', createSql: `${leaf} btree (thread_id, id) WHERE (thread_id IS NOT NULL)`, kind: 'btree-sparse' },
  { variant: 'btree-monthly', index: 'messages_mentions_idx', createSql: `${leaf} gin (mention_user_ids) WHERE (mention_user_ids IS NOT NULL)`, kind: 'gin-array' },
  { variant: 'btree-monthly', index: 'messages_created_at_idx', createSql: `${leaf} btree (created_at)`, kind: 'btree-sorted' },
  { variant: 'brin-monthly', index: 'messages_created_at_idx', createSql: `${leaf} brin (created_at) WITH (pages_per_range='32')`, kind: 'brin' },
  { variant: 'btree-monthly-fts', index: 'messages_content_fts_idx', createSql: `${leaf} gin (to_tsvector('simple'::regconfig, content))`, kind: 'full-text' },
  { variant: 'btree-partial-covering', index: 'messages_channel_id_idx', createSql: 'CREATE INDEX "messages_channel_id_idx" ON "messages" USING btree (channel_id)', kind: 'btree' },
  { variant: 'btree-partial-covering', index: 'messages_channel_history_idx', createSql: 'CREATE INDEX "messages_channel_history_idx" ON "messages" USING btree (channel_id, id) INCLUDE (author_id, created_at, reply_to_id, attachment_count, edited_at) WHERE ((deleted_at IS NULL) AND (thread_id IS NULL))', kind: 'btree' },
  { variant: 'btree-partial-covering', index: 'messages_channel_live_idx', createSql: 'CREATE INDEX "messages_channel_live_idx" ON "messages" USING btree (channel_id, id) WHERE (deleted_at IS NULL)', kind: 'btree' },
  { variant: 'btree-partial-covering', index: 'messages_created_at_idx', createSql: 'CREATE INDEX "messages_created_at_idx" ON "messages" USING btree (created_at) WHERE (deleted_at IS NULL)', kind: 'btree-sorted' },
  { variant: 'btree-unpartitioned', table: 'users', index: 'users_username_lower_key', createSql: 'CREATE UNIQUE INDEX "users_username_lower_key" ON "users" USING btree (lower(username))', kind: 'btree' },
  { variant: 'btree-unpartitioned', table: 'reactions', index: 'reactions_pkey', createSql: 'CREATE UNIQUE INDEX "reactions_pkey" ON "reactions" USING btree (message_id, message_created_at, emoji, user_id)', constraintSql: 'ALTER TABLE "reactions" ADD CONSTRAINT "reactions_pkey" PRIMARY KEY USING INDEX "reactions_pkey"', kind: 'btree-sorted' },
];

describe('the kind of an index, from what the design creates', () => {
  it.each(CASES)('$variant $index is $kind in the dry run and in the post-load order alike', (c) => {
    expect(estimated(c.variant, c.table ?? 'messages', c.index)).toBe(c.kind);
    expect(buildKind({ createSql: c.createSql, method: /USING (\w+)/.exec(c.createSql)![1], constraintSql: c.constraintSql })).toBe(c.kind);
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
    expect(parseIndexDefinition('-- the key\nALTER TABLE messages ADD CONSTRAINT messages_pkey PRIMARY KEY (id, created_at, channel_id);')).toEqual({ name: 'messages_pkey', table: 'messages', method: 'btree', keys: ['id', 'created_at', 'channel_id'], primaryKey: true });
    expect(parseIndexDefinition('CREATE INDEX x ON public.messages_p20260101 USING btree (channel_id, id) INCLUDE (author_id) WHERE ((deleted_at IS NULL) AND (thread_id IS NULL))')).toEqual({ name: 'x', table: 'messages_p20260101', method: 'btree', keys: ['channel_id', 'id'], predicate: '((deleted_at IS NULL) AND (thread_id IS NULL))', primaryKey: false });
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
