import { describe, expect, it } from 'vitest';
import { columnValues, pgMicros, rowStarts } from '../copy/rows.ts';
import { createWriter } from '../copy/writer.ts';
import { messageId } from '../generate/model.ts';
import { ChannelCounts } from './channel-counts.ts';

/** The COPY rows of the counts: [channel id, count, last id, last time in PostgreSQL's microseconds]. */
function decoded(counts: ChannelCounts, batch?: number): { rows: number[][]; chunks: Buffer[] } {
  const chunks = [...counts.copyChunks(batch)];
  const w = createWriter('binary', 32);
  expect(chunks[0]).toEqual(w.header());
  expect(chunks[chunks.length - 1]).toEqual(w.trailer());
  const body = Buffer.concat(chunks.slice(1, -1));
  const starts = rowStarts(body, 'binary');
  const cols = [0, 1, 2].map((c) => columnValues(body, 'binary', starts, c, 'int'));
  const times = columnValues(body, 'binary', starts, 3, 'timestamptz');
  return { rows: [...times.keys()].map((r) => [cols[0][r], cols[1][r], cols[2][r], times[r]]), chunks: chunks.slice(1, -1) };
}

describe('ChannelCounts', () => {
  it('counts the messages not deleted per channel, keeps the largest id, and writes its time', () => {
    const t = Date.UTC(2026, 0, 1, 12);
    // Ids of one millisecond are not in row order (the sequence wraps at 4096): the largest id wins, not the last row.
    const ids = [messageId(t, 4095), messageId(t, 4096), messageId(t + 5, 7), messageId(t + 9, 8), messageId(t + 2, 9)];
    const facts = { channel: Int32Array.from([0, 0, 2, -1, 2]), id: Float64Array.from(ids) };
    const counts = new ChannelCounts(4);
    counts.add(facts, 0, 3);
    counts.add(facts, 3, 5); // in two runs, as rows routed to two leaves
    expect([...counts.count]).toEqual([2, 0, 2, 0]);
    // the deleted row (channel -1) is left out, though its id is larger
    expect(decoded(counts).rows).toEqual([
      [1, 2, ids[0], pgMicros(t)],
      [3, 2, ids[2], pgMicros(t + 5)],
    ]);
  });

  it('writes its rows in batches and nothing for channels without messages', () => {
    const counts = new ChannelCounts(25);
    const facts = { channel: Int32Array.from({ length: 25 }, (_, i) => i), id: Float64Array.from({ length: 25 }, (_, i) => messageId(Date.UTC(2026, 0, 2), i)) };
    counts.add(facts, 0, 25);
    const { rows, chunks } = decoded(counts, 10);
    expect(chunks.map((c) => rowStarts(c, 'binary').length - 1)).toEqual([10, 10, 5]);
    expect(rows.map((r) => r[0])).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(decoded(new ChannelCounts(3)).rows).toEqual([]);
  });
});
