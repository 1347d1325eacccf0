import { describe, expect, it } from 'vitest';
import { columnValues, pgMicros, rowStarts } from './rows.ts';
import { createWriter, type CopyFormat } from './writer.ts';

function rows(format: CopyFormat): Buffer {
  const w = createWriter(format, 16);
  const data: Array<[number, string, number | null, number]> = [
    [1, 'a\tb', 3, Date.UTC(2026, 0, 1, 0, 0, 0, 5)],
    [2 ** 53 - 1, 'é', null, Date.UTC(2026, 1, 28, 23, 59, 59, 999)],
    [-7, 'x\ny', -2, Date.UTC(2020, 0, 1)],
  ];
  for (const [id, text, small, ms] of data) {
    w.beginRow(4);
    w.int(id, 8);
    w.str(text);
    if (small === null) w.null();
    else w.int(small, 2);
    w.timestamptz(ms);
    w.endRow();
  }
  return w.take();
}

describe('reading COPY rows back', () => {
  it.each<CopyFormat>(['binary', 'text'])('finds every row and reads integers and timestamps (%s)', (format) => {
    const buf = rows(format);
    const starts = rowStarts(buf, format);
    expect(starts.length).toBe(4);
    expect(starts[3]).toBe(buf.length);
    expect([...columnValues(buf, format, starts, 0, 'int')]).toEqual([1, 2 ** 53 - 1, -7]);
    expect([...columnValues(buf, format, starts, 3, 'timestamptz')]).toEqual([pgMicros(Date.UTC(2026, 0, 1, 0, 0, 0, 5)), pgMicros(Date.UTC(2026, 1, 28, 23, 59, 59, 999)), pgMicros(Date.UTC(2020, 0, 1))]);
    const small = columnValues(buf, format, starts, 2, 'int');
    expect([small[0], small[2]]).toEqual([3, -2]);
    expect(Number.isNaN(small[1])).toBe(true);
  });

  it('microseconds since 2000-01-01, as PostgreSQL counts', () => {
    expect(pgMicros(Date.UTC(2000, 0, 1))).toBe(0);
    expect(pgMicros(Date.UTC(2000, 0, 1, 0, 0, 1))).toBe(1_000_000);
  });

  it('refuses a buffer that ends inside a row', () => {
    const buf = rows('binary');
    expect(() => rowStarts(buf.subarray(0, buf.length - 3), 'binary')).toThrow(/inside a row/);
    expect(() => rowStarts(Buffer.from('1\t2'), 'text')).toThrow(/inside a row/);
  });
});
