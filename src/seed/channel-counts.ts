// The channels' denormalised counters (message_count, last_message_id, last_message_at), counted
// while the messages load, so the seed need not read every message back afterwards to set them.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { snowflakeTimeMs } from '../generate/model.ts';
import type { MessageFacts } from '../generate/tables.ts';

/**
 * Per channel, the messages not deleted and the largest of their ids (ids grow with time, so its
 * time is the latest message's): what reconcile_channel_counters() reads from a scan of messages.
 */
export class ChannelCounts {
  readonly count: Uint32Array;
  readonly lastId: Float64Array;

  constructor(readonly channels: number) {
    this.count = new Uint32Array(channels);
    this.lastId = new Float64Array(channels).fill(-1);
  }

  /** Counts the messages of rows [r0, r1) of a batch, from the facts its generation wrote. */
  add(facts: MessageFacts, r0: number, r1: number): void {
    const { count, lastId } = this;
    for (let r = r0; r < r1; r++) {
      const c = facts.channel[r];
      if (c < 0) continue;
      count[c]++;
      if (facts.id[r] > lastId[c]) lastId[c] = facts.id[r];
    }
  }

  /** COPY text rows (channel id, count, last id, last time) of the channels that have messages. */
  *copyRows(batch = 10_000): Generator<string> {
    let out: string[] = [];
    for (let c = 0; c < this.channels; c++) {
      if (!this.count[c]) continue;
      out.push(`${c + 1}\t${this.count[c]}\t${this.lastId[c]}\t${new Date(snowflakeTimeMs(this.lastId[c])).toISOString()}\n`);
      if (out.length === batch) {
        yield out.join('');
        out = [];
      }
    }
    if (out.length) yield out.join('');
  }
}

/**
 * Sets the counters of the channels table on the search path from the counts, as
 * reconcile_channel_counters() sets them from the rows (the same statement, with the counts in
 * place of the scan): every channel, touching only those that are wrong. Returns how many changed.
 * Runs in the caller's transaction (the temporary table goes with it).
 */
export async function applyChannelCounts(client: pg.ClientBase, counts: ChannelCounts): Promise<number> {
  // No key: each channel comes once, and the update joins by hash.
  await client.query('CREATE TEMP TABLE chatbench_channel_counts (channel_id bigint NOT NULL, n bigint NOT NULL, last_id bigint NOT NULL, last_at timestamptz NOT NULL) ON COMMIT DROP');
  await pipeline(Readable.from(counts.copyRows()), client.query(copyStreams.from('COPY pg_temp.chatbench_channel_counts (channel_id, n, last_id, last_at) FROM STDIN')));
  await client.query('ANALYZE pg_temp.chatbench_channel_counts');
  const r = await client.query(
    `UPDATE channels c
        SET message_count = coalesce(t.n, 0), last_message_id = t.last_id, last_message_at = t.last_at
       FROM channels ch
       LEFT JOIN pg_temp.chatbench_channel_counts t ON t.channel_id = ch.id
      WHERE c.id = ch.id
        AND (c.message_count, c.last_message_id, c.last_message_at) IS DISTINCT FROM (coalesce(t.n, 0), t.last_id, t.last_at)`,
  );
  return r.rowCount ?? 0;
}
