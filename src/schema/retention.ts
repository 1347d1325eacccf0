// Retention: removing the messages created before a cutoff, by one of three methods. delete and
// detach are one call of the schema's purge_messages_before(); detach-concurrently is a series of
// statements (DETACH PARTITION ... CONCURRENTLY cannot run in a transaction block or a function)
// that the schema lists in message_purge_steps() and this runs one at a time.
import type pg from 'pg';
import { rangeUnit, type VariantManifest } from './variants.ts';

export const RETENTION_METHODS = ['delete', 'detach', 'detach-concurrently'] as const;
export type RetentionMethod = (typeof RETENTION_METHODS)[number];

/** The method a variant really uses when asked for `requested`: without range partitions, every method is the DELETE. */
export function retentionMethodOf(v: Pick<VariantManifest, 'partitioning'>, requested: RetentionMethod): RetentionMethod {
  return rangeUnit(v) ? requested : 'delete';
}

export interface PurgeOutcome {
  /** Messages removed by this call (rows of partitions dropped, plus the DELETE of the straddling period). */
  removed: number;
  /** Statements sent, each its own transaction when detaching concurrently. */
  statements: number;
}

/** The one-call purge (delete, detach), as scenarios prepare it, so the server's statistics name it. */
export const PURGE_SQL = 'SELECT purge_messages_before($1, $2) AS removed';

interface Answer {
  readonly length: number;
  value(i: number, j: number): unknown;
}

/** What a purge needs of a connection (chatbench's lean connection has this shape): prepared statements, and plain SQL text answered with its last statement's rows. */
export interface PurgeConnection {
  query(name: string, sql: string, values: readonly unknown[]): Promise<Answer>;
  simpleQuery(sql: string): Promise<Answer>;
}

/** node-postgres's client seen as a PurgeConnection. */
function purgeConnection(client: pg.ClientBase | PurgeConnection): PurgeConnection {
  if ('simpleQuery' in client) return client;
  const answer = (r: pg.QueryResult<unknown[]> | pg.QueryResult<unknown[]>[]): Answer => {
    // Several statements in one text answer with one result each: the last one is the answer.
    const rows = (Array.isArray(r) ? r[r.length - 1] : r).rows ?? [];
    return { length: rows.length, value: (i, j) => rows[i]?.[j] };
  };
  return {
    query: async (_name, sql, values) => answer(await client.query({ text: sql, values: [...values], rowMode: 'array' })),
    simpleQuery: async (sql) => answer((await client.query({ text: sql, rowMode: 'array' })) as pg.QueryResult<unknown[]>),
  };
}

/**
 * Removes the messages created before `cutoff` (search_path at the variant). With
 * detach-concurrently the connection must not be inside a transaction. Safe to call again after an
 * interruption: the steps are read from the catalog each time, so a detach left pending is
 * finalised and a table left detached is dropped.
 */
export async function purgeMessagesBefore(client: pg.ClientBase | PurgeConnection, cutoff: Date, method: RetentionMethod): Promise<PurgeOutcome> {
  const conn = purgeConnection(client);
  if (method !== 'detach-concurrently') {
    const r = await conn.query('cb_purge_messages_before', PURGE_SQL, [cutoff, method]);
    return { removed: Number(r.value(0, 0)), statements: 1 };
  }
  const found = await conn.query('cb_message_purge_steps', 'SELECT statement, counts FROM message_purge_steps($1, true)', [cutoff]);
  // Read before running any: the connection keeps one answer at a time.
  const steps = Array.from({ length: found.length }, (_, i) => ({ statement: String(found.value(i, 0)), counts: found.value(i, 1) === true }));
  let removed = 0;
  let statements = 1;
  for (const step of steps) {
    for (let attempt = 1; ; attempt++) {
      statements++;
      try {
        // Several statements in one text (the locks, then the DROP) run as one implicit transaction.
        const r = await conn.simpleQuery(step.statement);
        if (step.counts) removed += Number(r.value(0, 0));
        break;
      } catch (e) {
        // Readers held a table past the step's lock_timeout: it gave way to them; try again shortly.
        if ((e as { code?: string }).code !== LOCK_NOT_AVAILABLE || attempt >= LOCK_ATTEMPTS) throw e;
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
      }
    }
  }
  return { removed, statements };
}

const LOCK_NOT_AVAILABLE = '55P03';
const LOCK_ATTEMPTS = 50;
