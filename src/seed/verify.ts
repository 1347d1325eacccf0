// The verification step (--verify full|sample|none). Every mode but none compares, range by range,
// the rows and key sums the loader sent (recorded with each relation's progress mark) with what the
// server holds, read by one grouped scan of each relation's key index: a lost, duplicated or
// misplaced chunk fails the seed, naming the table and key range. On top of that, content
// checksums: of every row (full), or of a sample of ranges (sample), to compare variants and runs.
import pg from 'pg';
import { RuntimeError } from '../errors.ts';
import type { Model } from '../generate/model.ts';
import type { TableName } from '../generate/tables.ts';
import { META_SCHEMA } from '../schema/meta.ts';
import type { TableLayout } from './layout.ts';
import { compareRanges, rangeQuery, rangeSpec, type RangeMismatch, type RangeSpec } from './ranges.ts';
import type { Task } from './tasks.ts';

export type VerifyMode = 'full' | 'sample' | 'none';
export const VERIFY_MODES: VerifyMode[] = ['full', 'sample', 'none'];

/** One range in this many has its content checksummed in sample mode (and always the first). */
export const SAMPLE_EVERY = 64;

export interface TableVerification {
  rows: number;
  /** Sum of hashtextextended(row::text, 0) over the rows checked (all, or the sampled ranges). */
  checksum: string;
  scope: VerifyMode;
}

interface RelationResult {
  /** [range, rows, key sum, content checksum] */
  r: Array<[number, number, number, string]>;
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
        // Before any unique index: a chunk loaded twice is reported as such, not as a failed build.
        after: ['ddl'],
        shared: [leaf.relation],
        // First: the unique indexes wait for it.
        weight: input.pagesOf(leaf.relation) * 100,
        run: async ({ client }) => {
          await client.query(`SET LOCAL TimeZone = 'UTC'`);
          const r = await client.query(verifyQuery(spec, id(leaf.relation), mode));
          return JSON.stringify({ r: r.rows.map((x) => [Number(x.range), Number(x.rows), Number(x.key_sum), x.h]) } satisfies RelationResult);
        },
      });
    }
  }
  tasks.push({
    ...base,
    key: 'verify-check',
    step: 'verify-check',
    after: ['verify'],
    weight: 1,
    run: async ({ client }) => JSON.stringify(await checkVerification(client, variant, layouts, model, mode)),
  });
  return tasks;
}

/**
 * One scan of a relation: rows and key sums per range, and the content checksum (hashtextextended
 * of each row's text, timestamps in UTC) of every row (full) or of every SAMPLE_EVERY-th range.
 */
export function verifyQuery(spec: RangeSpec, rel: string, mode: VerifyMode): string {
  const q = rangeQuery(spec, `${rel} t`);
  const range = q.slice(q.indexOf('SELECT ') + 7, q.indexOf(' AS range'));
  const filter = mode === 'full' ? '' : ` FILTER (WHERE ${range} % ${SAMPLE_EVERY} = 0)`;
  return q.replace(' AS key_sum', ` AS key_sum, coalesce(sum(hashtextextended(t::text, 0)::numeric)${filter}, 0)::text AS h`);
}

/** Compares what the server holds with what was loaded; throws on the first table that differs. */
export async function checkVerification(client: pg.ClientBase, variant: string, layouts: Map<TableName, TableLayout>, model: Model, mode: VerifyMode): Promise<Record<string, TableVerification>> {
  const details = await client.query<{ task: string; detail: string }>(`SELECT task, detail FROM ${META_SCHEMA}.seed_tasks WHERE variant = $1 AND task LIKE 'verify:%'`, [variant]);
  const byTask = new Map(details.rows.map((r) => [r.task, JSON.parse(r.detail) as RelationResult]));
  const expected = await client.query<{ table_name: TableName; range: number; rows: string; key_sum: string }>(
    `SELECT table_name, range, sum(row_count)::text AS rows, (sum(key_sum) % 4294967296)::text AS key_sum
       FROM ${META_SCHEMA}.seed_ranges WHERE variant = $1 GROUP BY 1, 2`,
    [variant],
  );
  const out: Record<string, TableVerification> = {};
  const mismatches: RangeMismatch[] = [];
  for (const layout of layouts.values()) {
    const spec = rangeSpec(model, layout.table);
    const want = new Map<number, [number, number]>();
    for (const e of expected.rows.filter((x) => x.table_name === layout.table)) want.set(e.range, [Number(e.rows), Number(e.key_sum)]);
    const have = new Map<number, [number, number]>();
    let hash = 0n;
    for (const leaf of layout.leaves) {
      const res = byTask.get(`verify:${leaf.relation}`);
      if (!res) throw new RuntimeError(`${variant}: no verification result for ${leaf.relation}`);
      for (const [r, n, s, h] of res.r) {
        const [pn, ps] = have.get(r) ?? [0, 0];
        have.set(r, [pn + n, (ps + s) % 4294967296]);
        hash += BigInt(h);
      }
    }
    mismatches.push(...compareRanges(spec, want, have));
    const rows = [...have.values()].reduce((a, [n]) => a + n, 0);
    out[layout.table] = { rows, checksum: hash.toString(), scope: mode };
  }
  if (mismatches.length) throw new RuntimeError(describeMismatches(variant, mismatches));
  return out;
}

/** One line: how many ranges differ, and the first few, in words. */
export function describeMismatches(variant: string, m: RangeMismatch[]): string {
  const fmt = (v: number) => (Number.isFinite(v) ? String(v) : v < 0 ? '-inf' : 'inf');
  const first = m.slice(0, 3).map((x) => {
    const what = x.actualRows < x.expectedRows ? `${x.expectedRows - x.actualRows} row(s) missing` : x.actualRows > x.expectedRows ? `${x.actualRows - x.expectedRows} row(s) too many (a chunk loaded twice?)` : 'the same count but other keys';
    return `${x.table} key range ${x.range} [${fmt(x.keyFrom)}, ${fmt(x.keyTo)}): ${what} (${x.actualRows} found, ${x.expectedRows} loaded)`;
  });
  return `verification failed for ${variant}: ${m.length} key range(s) differ from what was loaded: ${first.join('; ')}${m.length > 3 ? '; ...' : ''} (seed it again with --force)`;
}
