// The channels' denormalised counters (message_count, last_message_id, last_message_at), counted
// while the messages load, so the seed need not read every message back afterwards to set them.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { createWriter } from '../copy/writer.ts';
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

  /**
   * Binary COPY (header, rows in batches, trailer) of the channels that have messages: channel id,
   * count, last id, last time. Small buffers, no strings: at 100M messages (957K channels) a text
   * form built here raised the seed's peak memory by 16 MB.
   */
  *copyChunks(batch = 1_000): Generator<Buffer> {
    const w = createWriter('binary', batch * 64);
    yield w.header();
    let rows = 0;
    for (let c = 0; c < this.channels; c++) {
      if (!this.count[c]) continue;
      w.beginRow(4);
      w.int(c + 1, 8);
      w.int(this.count[c], 8);
      w.int(this.lastId[c], 8);
      w.timestamptz(snowflakeTimeMs(this.lastId[c]));
      w.endRow();
      if (++rows === batch) {
        yield w.take();
        rows = 0;
      }
    }
    if (rows) yield w.take();
    yield w.trailer();
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
  await pipeline(Readable.from(counts.copyChunks(), { objectMode: false }), client.query(copyStreams.from('COPY pg_temp.chatbench_channel_counts (channel_id, n, last_id, last_at) FROM STDIN (FORMAT binary)')));
  // channels has no statistics and no index yet (this runs before them): the join is by hash.
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
