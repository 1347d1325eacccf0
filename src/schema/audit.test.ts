import { describe, expect, it } from 'vitest';
import { AUDIT_RULES, auditSnapshot, pruningQueryOf, RULES, type CatalogSnapshot, type PartitionRow, type PlanNode } from './audit.ts';

// Catalog snapshots as catalogSnapshot() reads them, cut down to what each rule looks at.
const scan = (node: string, relation: string, extra: Partial<PlanNode> = {}): PlanNode => ({ 'Node Type': node, 'Relation Name': relation, ...extra });
const limit = (...plans: PlanNode[]): PlanNode => ({ 'Node Type': 'Limit', Plans: plans });
const tsz = { type: 'timestamp with time zone', notnull: true };
const DAY = 86_400_000;
const range = { fromMs: Date.UTC(2026, 0, 1), toMs: Date.UTC(2026, 0, 1) + 60 * DAY };

function clean(): CatalogSnapshot {
  const history = limit(scan('Index Scan', 'messages', { 'Index Name': 'messages_channel_id_id_idx', 'Index Cond': '(channel_id = $1) AND (id < $2)', Filter: '(deleted_at IS NULL)' }));
  return {
    seeded: true,
    range,
    serverMajor: 18,
    canExplainGeneric: true,
    foreignKeys: [{ table: 'messages', name: 'messages_channel_id_fkey', cols: ['channel_id'], has_index: true }],
    tables: [
      { table: 'channels', cols: { id: { type: 'bigint', notnull: true }, type: { type: 'text', notnull: true }, created_at: tsz }, updated_trigger: false },
      { table: 'messages', cols: { id: { type: 'bigint', notnull: true }, created_at: tsz, updated_at: tsz, deleted_at: { ...tsz, notnull: false } }, updated_trigger: true },
    ],
    checks: [
      { table: 'channels', def: "CHECK ((type = ANY (ARRAY['text'::text, 'voice'::text, 'category'::text, 'dm'::text, 'group_dm'::text])))" },
      { table: 'messages', def: 'CHECK (((char_length(content) >= 1) AND (char_length(content) <= 4000)) OR ...)' },
    ],
    messagesKind: 'r',
    messageRelations: [{ name: 'messages', pages: 4000 }],
    predicates: {},
    queries: [{ name: 'history-scroll/page', sql: 'SELECT id FROM messages WHERE channel_id = $1 AND deleted_at IS NULL AND id < $2 ORDER BY id DESC LIMIT 50', readsMessages: true, expectIndex: true, plan: history }],
    canonical: [{ name: 'channel history page', fix: 'CREATE INDEX ON messages (channel_id, id);', plan: history }],
    softDeletePartialIndexes: [],
    partitions: [],
    strayDefaults: [],
  };
}

const rulesOf = (c: CatalogSnapshot) => auditSnapshot(c, 's').findings.map((f) => f.rule);

describe('the audit as a table of rules', () => {
  it('has one row per rule, and a clean catalog passes them all', () => {
    expect(AUDIT_RULES.map((r) => r.rule).sort()).toEqual(Object.keys(RULES).sort());
    const r = auditSnapshot(clean(), 's');
    expect(r.findings).toEqual([]);
    expect(r.checked).toMatchObject({ 'fk-index': 1, timestamptz: 7, 'created-at': 2, 'updated-at-trigger': 1, 'check-constraints': 2, 'keyset-pagination': 1, 'soft-delete-filter': 1, 'index-scan': 2 });
  });

  it.each<[string, (c: CatalogSnapshot) => void, string, RegExp]>([
    ['fk-index', (c) => (c.foreignKeys[0].has_index = false), 'fk-index', /foreign key messages_channel_id_fkey has no index starting with \(channel_id\)/],
    ['timestamptz', (c) => (c.tables[1].cols!.edited_at = { type: 'timestamp without time zone', notnull: false }), 'timestamptz', /messages\.edited_at is timestamp without time zone/],
    ['created-at', (c) => delete c.tables[0].cols!.created_at, 'created-at', /channels has no created_at column/],
    ['updated-at-trigger', (c) => (c.tables[1].updated_trigger = false), 'updated-at-trigger', /messages has updated_at but no BEFORE UPDATE row trigger/],
    ['check-constraints', (c) => c.checks.pop(), 'check-constraints', /messages lacks the CHECK for content length/],
    ['keyset-pagination', (c) => (c.queries[0].sql += ' OFFSET 50'), 'keyset-pagination', /history-scroll\/page uses OFFSET/],
    ['soft-delete-filter', (c) => (c.queries[0].plan = limit(scan('Index Scan', 'messages', { 'Index Name': 'i', 'Index Cond': '(channel_id = $1)' }))), 'soft-delete-filter', /reads messages without filtering deleted_at IS NULL/],
    ['index-scan', (c) => (c.canonical[0].plan = scan('Seq Scan', 'messages', { Filter: '(deleted_at IS NULL)' })), 'index-scan', /the channel history page query plans a sequential scan of messages/],
  ])('%s: finds what breaks it', (_, spoil, rule, message) => {
    const c = clean();
    spoil(c);
    const r = auditSnapshot(c, 's');
    expect(r.findings.map((f) => f.rule)).toEqual([rule]);
    expect(r.findings[0].message).toMatch(message);
  });

  it('keyset-pagination ignores OFFSET in strings and comments', () => {
    const c = clean();
    c.queries[0].sql += " -- no OFFSET here\nAND content <> 'OFFSET'";
    expect(rulesOf(c)).toEqual([]);
  });

  it('soft-delete-filter accepts a partial index whose WHERE filters deleted rows', () => {
    const c = clean();
    c.queries[0].plan = limit(scan('Index Only Scan', 'messages', { 'Index Name': 'messages_live_idx', 'Index Cond': '(channel_id = $1)' }));
    c.predicates = { messages_live_idx: '(deleted_at IS NULL)' };
    expect(rulesOf(c)).toEqual([]);
  });

  it('index-scan forgives a sequential scan of an empty partition on seeded data, not on an empty schema', () => {
    const c = clean();
    c.messageRelations.push({ name: 'messages_2026_01', pages: 1 });
    c.canonical[0].plan = { 'Node Type': 'Append', Plans: [scan('Seq Scan', 'messages_2026_01')] };
    expect(rulesOf(c)).toEqual([]);
    c.seeded = false;
    expect(rulesOf(c)).toEqual(['index-scan']);
  });

  it('before PostgreSQL 16 the plan rules say why they did not check', () => {
    const c = { ...clean(), canExplainGeneric: false, serverMajor: 15 };
    const r = auditSnapshot(c, 's');
    expect(r.checked['soft-delete-filter'] + r.checked['index-scan']).toBe(0);
    expect(r.skipped).toEqual([expect.stringMatching(/^soft-delete-filter and index-scan: .*PostgreSQL 16 or later \(this server is 15\)/)]);
  });

  it('partial-index-use: a soft-delete partial index no plan picks is a finding on seeded data, skipped on an empty schema', () => {
    const c = clean();
    c.softDeletePartialIndexes = [{ name: 'messages_unused_idx', def: 'CREATE INDEX messages_unused_idx ON s.messages USING btree (author_id) WHERE (deleted_at IS NULL)', members: [] }];
    expect(rulesOf(c)).toEqual(['partial-index-use']);
    c.softDeletePartialIndexes[0].name = 'messages_channel_id_id_idx';
    expect(rulesOf(c)).toEqual([]);
    c.seeded = false;
    expect(auditSnapshot(c, 's').skipped).toEqual([expect.stringMatching(/^partial-index-use: messages_channel_id_id_idx can be judged on seeded data only/)]);
  });

  const month = (parent: string, from: number, to: number): PartitionRow => ({
    parent,
    child: `${parent}_${new Date(from).toISOString().slice(0, 7)}`,
    bound: `FOR VALUES FROM ('${new Date(from).toISOString()}') TO ('${new Date(to).toISOString()}')`,
    strategy: 'r',
    keyColumn: 'created_at',
    keyType: 'timestamp with time zone',
    lo: new Date(from).toISOString(),
    hi: new Date(to).toISOString(),
    loMs: from,
    hiMs: to,
  });

  it('partition-coverage: a gap in the ranges, a missing hash remainder, rows in a default partition', () => {
    const c = { ...clean(), messagesKind: 'p' };
    c.partitions = [month('messages', range.fromMs, range.fromMs + 31 * DAY), month('messages', range.fromMs + 31 * DAY, range.toMs)];
    expect(rulesOf(c)).toEqual([]);
    c.partitions.pop();
    expect(auditSnapshot(c, 's').findings[0].message).toMatch(/^messages has no partition for 2026-02-01T00:00:00\.000Z/);
    const hash = (k: number): PartitionRow => ({ parent: 'messages', child: `messages_h${k}`, bound: `FOR VALUES WITH (modulus 4, remainder ${k})`, strategy: 'h', keyColumn: 'channel_id', keyType: 'bigint', lo: null, hi: null, loMs: null, hiMs: null });
    c.partitions = [0, 1, 3].map(hash);
    expect(auditSnapshot(c, 's').findings[0].message).toMatch(/missing remainders 2 of 4/);
    c.partitions = [month('messages', range.fromMs, range.toMs), { ...month('messages', 0, 0), child: 'messages_default', bound: 'DEFAULT', lo: null, hi: null }];
    c.strayDefaults = ['messages_default'];
    expect(auditSnapshot(c, 's').findings.map((f) => f.table)).toEqual(['messages_default']);
  });

  it('partition-pruning: one day by time, the ids of one day, or one channel must scan one partition', () => {
    const byTime = [month('messages', range.fromMs, range.toMs)];
    expect(pruningQueryOf(byTime, range)?.sql).toBe(`SELECT count(*) FROM messages WHERE "created_at" >= '2026-01-01T01:00:00.000Z' AND "created_at" < '2026-01-02T00:00:00.000Z'`);
    const byId = [{ ...byTime[0], keyColumn: 'id', keyType: 'bigint' }];
    expect(pruningQueryOf(byId, range)?.what).toBe('the ids of one day');
    const c = { ...clean(), messagesKind: 'p', partitions: byTime };
    c.pruning = { ...pruningQueryOf(byTime, range)!, plan: { 'Node Type': 'Aggregate', Plans: [scan('Seq Scan', 'messages_2026_01')] } };
    expect(rulesOf(c)).toEqual([]);
    c.pruning.plan = { 'Node Type': 'Aggregate', Plans: [{ 'Node Type': 'Append', Plans: [scan('Seq Scan', 'messages_2026_01'), scan('Seq Scan', 'messages_2026_02')] }] };
    expect(auditSnapshot(c, 's').findings[0].message).toBe('a one-day query scans 2 messages partitions (messages_2026_01, messages_2026_02); expected 1');
  });
});
