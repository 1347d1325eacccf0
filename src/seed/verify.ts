// The verification step (--verify full|sample|none), checked against what the loader recorded with
// each relation's progress mark: its row count, and per key range (about a chunk's rows) the rows
// and the sum of their keys.
//   sample (default): each relation's rows counted once its indexes exist (an index-only count, a
//     small fraction of a heap scan); a relation that differs is then read range by range, so the
//     error names the key ranges lost or doubled. Content checksums of one range in SAMPLE_EVERY.
//   full: every relation read range by range before any unique index is built, and every row's
//     content hashed.
//   none: nothing is checked (a chunk loaded twice still fails the unique index built on it).
import pg from 'pg';
import { RuntimeError } from '../errors.ts';
import type { Model } from '../generate/model.ts';
import type { TableName } from '../generate/tables.ts';
import { doneTasks, loadedRanges, loadedRelations, loadedRows } from '../schema/bookkeeping.ts';
import type { TableLayout } from './layout.ts';
import { compareRanges, rangeBounds, rangeQuery, rangeSpec, type RangeMismatch, type RangeSpec } from './ranges.ts';
import type { Task } from './tasks.ts';

export type VerifyMode = 'full' | 'sample' | 'none';
export const VERIFY_MODES: VerifyMode[] = ['full', 'sample', 'none'];

/** One range in this many has its content checksummed in sample mode (and always the first). */
const SAMPLE_EVERY = 64;

export interface TableVerification {
  rows: number;
  /** Sum of hashtextextended(row::text, 0) over the rows checked (all, or the sampled ranges). */
  checksum: string;
  scope: VerifyMode;
}

interface RelationResult {
  /** Rows the server holds. */
  n: number;
  /** Per range [range, rows, key sum, content checksum], when the relation was read range by range. */
  r?: Array<[number, number, number, string]>;
}

const id = (s: string) => pg.escapeIdentifier(s);

export function verifyTasks(input: { variant: string; schema: string; layouts: Map<TableName, TableLayout>; model: Model; mode: VerifyMode; pagesOf: (rel: string) => number }): Task[] {
  const { variant, schema, layouts, model, mode } = input;
  if (mode === 'none') return [];
  const base = { variant, schema, exclusive: [] as string[], shared: [] as string[] };
  const tasks: Task[] = [];
  for (const layout of layouts.values()) {
    const spec = rangeSpec(model, layout.table);
    for (const leaf of layout.leaves) {
      tasks.push({
        ...base,
        key: `verify:${leaf.relation}`,
        step: 'verify',
        // full: before any unique index, so a chunk loaded twice is reported as such; sample: once
        // the indexes exist, so the count reads the smallest one.
        after: mode === 'full' ? ['ddl'] : ['attach'],
        shared: [leaf.relation],
        weight: input.pagesOf(leaf.relation) * (mode === 'full' ? 100 : 0.05),
        run: async ({ client }) => {
          await client.query(`SET LOCAL TimeZone = 'UTC'`);
          if (mode === 'full') return JSON.stringify(byRange(await client.query(verifyQuery(spec, id(leaf.relation), 'none'))));
          const n = Number((await client.query(`SELECT count(*)::bigint AS n FROM ${id(leaf.relation)}`)).rows[0].n);
          if ((await loadedRows(client, variant, leaf.relation)) === n) return JSON.stringify({ n } satisfies RelationResult);
          // It differs: read it range by range to say where.
          return JSON.stringify(byRange(await client.query(verifyQuery(spec, id(leaf.relation), 'sample'))));
        },
      });
    }
    // Content checksums are taken last (after the channel counters are set, and once the keys are
    // added, so after the indexes): every row of every relation (full), or the rows of sampled
    // ranges through the key's index (sample). The counters counted while loading are set first
    // after the DDL; without fk-add here a sampled checksum would scan a heap with no index yet.
    const checksum = (key: string, run: (c: pg.ClientBase) => Promise<{ n: number; h: string }>, weight: number): Task => ({
      ...base,
      key,
      step: 'checksums',
      after: ['reconcile', 'fk-add'],
      weight,
      run: async ({ client }) => {
        await client.query(`SET LOCAL TimeZone = 'UTC'`);
        return JSON.stringify(await run(client));
      },
    });
    if (mode === 'sample') tasks.push(checksum(`checksum:${layout.table}`, (c) => sampleChecksum(c, spec), 1));
    else {
      for (const leaf of layout.leaves) {
        tasks.push(
          checksum(`checksum:${leaf.relation}`, async (c) => {
            const r = await c.query(`SELECT count(*)::bigint AS n, coalesce(sum(hashtextextended(t::text, 0)::numeric), 0)::text AS h FROM ${id(leaf.relation)} t`);
            return { n: Number(r.rows[0].n), h: r.rows[0].h };
          }, input.pagesOf(leaf.relation)),
        );
      }
    }
  }
  tasks.push({
    ...base,
    key: 'verify-check',
    step: 'verify-check',
    after: ['verify'],
    weight: 1,
    run: async ({ client }) => JSON.stringify(await checkVerification(client, variant, layouts, model)),
  });
  return tasks;
}

function byRange(r: pg.QueryResult): RelationResult {
  const ranges = r.rows.map((x) => [Number(x.range), Number(x.rows), Number(x.key_sum), String(x.h)] as [number, number, number, string]);
  return { n: ranges.reduce((a, x) => a + x[1], 0), r: ranges };
}

/**
 * One scan of a relation: rows and key sums per range, and the content checksum (hashtextextended
 * of each row's text, timestamps in UTC) of every row (full) or of every SAMPLE_EVERY-th range.
 */
function verifyQuery(spec: RangeSpec, rel: string, mode: VerifyMode): string {
  const q = rangeQuery(spec, `${rel} t`);
  const range = q.slice(q.indexOf('SELECT ') + 7, q.indexOf(' AS range'));
  if (mode === 'none') return q.replace(' AS key_sum', ` AS key_sum, '0' AS h`);
  const filter = mode === 'full' ? '' : ` FILTER (WHERE ${range} % ${SAMPLE_EVERY} = 0)`;
  return q.replace(' AS key_sum', ` AS key_sum, coalesce(sum(hashtextextended(t::text, 0)::numeric)${filter}, 0)::text AS h`);
}

/** Content checksum of every SAMPLE_EVERY-th range of a table, each read through its key's index. */
async function sampleChecksum(client: pg.ClientBase, spec: RangeSpec): Promise<{ n: number; h: string }> {
  let n = 0;
  let h = 0n;
  for (let range = 0; range < spec.count; range += SAMPLE_EVERY) {
    const [from, to] = rangeBounds(spec, range);
    const where = [Number.isFinite(from) ? `${spec.columnName} >= ${from}` : '', Number.isFinite(to) ? `${spec.columnName} < ${to}` : ''].filter(Boolean);
    const r = await client.query(`SELECT count(*)::bigint AS n, coalesce(sum(hashtextextended(t::text, 0)::numeric), 0)::text AS h FROM ${id(spec.table)} t${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`);
    n += Number(r.rows[0].n);
    h += BigInt(r.rows[0].h);
  }
  return { n, h: h.toString() };
}

/** Compares what the server holds with what was loaded; throws naming the ranges that differ. */
async function checkVerification(client: pg.ClientBase, variant: string, layouts: Map<TableName, TableLayout>, model: Model): Promise<Record<string, number>> {
  const details = [...(await doneTasks(client, [variant])).get(variant)!].filter(([task, detail]) => task.startsWith('verify:') && detail !== null);
  const byTask = new Map(details.map(([task, detail]) => [task, JSON.parse(detail!) as RelationResult]));
  const markedRows = await loadedRelations(client, variant);
  const ranges = await loadedRanges(client, variant);
  const out: Record<string, number> = {};
  const mismatches: RangeMismatch[] = [];
  for (const layout of layouts.values()) {
    const spec = rangeSpec(model, layout.table);
    let rows = 0;
    for (const leaf of layout.leaves) {
      const res = byTask.get(`verify:${leaf.relation}`);
      if (!res) throw new RuntimeError(`${variant}: no verification result for ${leaf.relation}`);
      rows += res.n;
      const expectedRows = markedRows.get(leaf.relation) ?? 0;
      if (!res.r) continue; // counted, and the count matched
      const want = ranges.get(leaf.relation) ?? new Map<number, [number, number]>();
      const have = new Map<number, [number, number]>(res.r.map(([r, n, s]) => [r, [n, s]]));
      const found = compareRanges(spec, want, have);
      if (!found.length && res.n !== expectedRows) {
        found.push({ table: layout.table, range: -1, keyFrom: -Infinity, keyTo: Infinity, expectedRows, actualRows: res.n, expectedSum: 0, actualSum: 0 });
      }
      mismatches.push(...found.map((m) => ({ ...m, relation: leaf.relation })));
    }
    out[layout.table] = rows;
  }
  if (mismatches.length) throw new RuntimeError(describeMismatches(variant, mismatches));
  return out;
}

/** Rows verified and content checksums by table, from the marks of the verification and checksum tasks. */
export function verificationResults(layouts: Map<TableName, TableLayout>, mode: VerifyMode, detailOf: (key: string) => string | undefined): Record<string, TableVerification> | undefined {
  if (mode === 'none') return undefined;
  const rows = JSON.parse(detailOf('verify-check') ?? '{}') as Record<string, number>;
  const out: Record<string, TableVerification> = {};
  for (const layout of layouts.values()) {
    const keys = mode === 'sample' ? [`checksum:${layout.table}`] : layout.leaves.map((l) => `checksum:${l.relation}`);
    const h = keys.reduce((a, k) => a + BigInt((JSON.parse(detailOf(k) ?? '{"h":"0"}') as { h: string }).h), 0n);
    out[layout.table] = { rows: rows[layout.table] ?? 0, checksum: h.toString(), scope: mode };
  }
  return out;
}

/** One line: how many ranges differ, and the first few, in words. */
function describeMismatches(variant: string, m: Array<RangeMismatch & { relation?: string }>): string {
  const fmt = (v: number) => (Number.isFinite(v) ? String(v) : v < 0 ? '-inf' : 'inf');
  const first = m.slice(0, 3).map((x) => {
    const what = x.actualRows < x.expectedRows ? `${x.expectedRows - x.actualRows} row(s) missing` : x.actualRows > x.expectedRows ? `${x.actualRows - x.expectedRows} row(s) too many (a chunk loaded twice?)` : 'the same count but other keys';
    const where = x.range < 0 ? `${x.relation ?? x.table}` : `${x.relation ?? x.table} key range ${x.range} [${fmt(x.keyFrom)}, ${fmt(x.keyTo)})`;
    return `${where}: ${what} (${x.actualRows} found, ${x.expectedRows} loaded)`;
  });
  return `verification failed for ${variant}: ${m.length} key range(s) differ from what was loaded: ${first.join('; ')}${m.length > 3 ? '; ...' : ''} (seed it again with --force)`;
}
