import { describe, expect, it } from 'vitest';
import { writeSafeInteger } from './lean-connection.ts';

describe('integer parameters written as digits', () => {
  it.each([0, -0, 7, -7, 10, -10, 99, 100, 4096, 775736680607753, 999_999_999_999_999, 1e15, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER])('%s as String() spells it', (n) => {
    const buf = Buffer.alloc(24, 0xff);
    const end = writeSafeInteger(buf, n, 3);
    expect(buf.toString('latin1', 3, end)).toBe(String(n));
    expect(buf[end]).toBe(0xff); // nothing written past the end
  });
});
