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

/**
 * Removes the messages created before `cutoff` (search_path at the variant). With
 * detach-concurrently the client must not be inside a transaction. Safe to call again after an
 * interruption: the steps are read from the catalog each time, so a detach left pending is
 * finalised and a table left detached is dropped.
 */
export async function purgeMessagesBefore(client: pg.ClientBase, cutoff: Date, method: RetentionMethod): Promise<PurgeOutcome> {
  if (method !== 'detach-concurrently') {
    const r = await client.query('SELECT purge_messages_before($1, $2) AS removed', [cutoff, method]);
    return { removed: Number(r.rows[0].removed), statements: 1 };
  }
  const steps = await client.query<{ statement: string; counts: boolean }>('SELECT statement, counts FROM message_purge_steps($1, true)', [cutoff]);
  let removed = 0;
  let statements = 1;
  for (const step of steps.rows) {
    for (let attempt = 1; ; attempt++) {
      statements++;
      try {
        // Several statements in one text (the locks, then the DROP) run as one implicit transaction.
        const r = await client.query(step.statement);
        const last = Array.isArray(r) ? r[r.length - 1] : r;
        if (step.counts) removed += Number(last.rows[0].removed);
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
