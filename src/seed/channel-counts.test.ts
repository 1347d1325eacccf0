import { describe, expect, it } from 'vitest';
import { messageId } from '../generate/model.ts';
import { ChannelCounts } from './channel-counts.ts';

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
    expect(counts.lastId[0]).toBe(ids[0]);
    expect(counts.lastId[2]).toBe(ids[2]); // the deleted row (channel -1) is left out, though its id is larger
    const text = [...counts.copyRows()].join('');
    expect(text).toBe(`1\t2\t${ids[0]}\t2026-01-01T12:00:00.000Z\n3\t2\t${ids[2]}\t2026-01-01T12:00:00.005Z\n`);
  });

  it('writes its rows in batches and nothing for channels without messages', () => {
    const counts = new ChannelCounts(25);
    const facts = { channel: Int32Array.from({ length: 25 }, (_, i) => i), id: Float64Array.from({ length: 25 }, (_, i) => messageId(Date.UTC(2026, 0, 2), i)) };
    counts.add(facts, 0, 25);
    expect([...counts.copyRows(10)].map((b) => b.split('\n').length - 1)).toEqual([10, 10, 5]);
    expect([...new ChannelCounts(3).copyRows()]).toEqual([]);
  });
});
