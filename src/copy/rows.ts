// Reading COPY data back: where each row of an encoded buffer starts, and the values of one integer
// or timestamp column for every row. The seeder routes rows to partitions and counts them for its
// verification from the bytes it is about to send, so generators stay unaware of both. Pure.
import type { CopyFormat } from './writer.ts';

const TWO32 = 4294967296;
const PG_EPOCH_US = Date.UTC(2000, 0, 1) * 1000;

/** How a column is read: an integer (int2/4/8) or a timestamptz as microseconds since 2000-01-01 (PostgreSQL's own unit). */
export type ColumnKind = 'int' | 'timestamptz';

/**
 * Row start offsets of a buffer of rows (no header or trailer), plus the end: rows = length - 1.
 * Text rows end at a newline (escaped inside values, so never raw); binary rows are walked field by field.
 */
export function rowStarts(buf: Uint8Array, format: CopyFormat): Int32Array {
  let out = new Int32Array(1024);
  let n = 0;
  const push = (v: number) => {
    if (n === out.length) {
      const next = new Int32Array(out.length * 2);
      next.set(out);
      out = next;
    }
    out[n++] = v;
  };
  let p = 0;
  if (format === 'text') {
    const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    while (p < b.length) {
      push(p);
      const nl = b.indexOf(10, p);
      if (nl < 0) throw new Error(`text COPY data ends inside a row at byte ${p}`);
      p = nl + 1;
    }
  } else {
    while (p < buf.length) {
      push(p);
      const fields = (buf[p] << 8) | buf[p + 1];
      p += 2;
      for (let f = 0; f < fields; f++) {
        const len = ((buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]) >> 0;
        p += 4 + (len > 0 ? len : 0);
      }
      if (p > buf.length) throw new Error('binary COPY data ends inside a row');
    }
  }
  push(p);
  return out.subarray(0, n);
}

/** Values of column `col` (0-based) of every row; NULL reads as NaN. */
export function columnValues(buf: Uint8Array, format: CopyFormat, starts: Int32Array, col: number, kind: ColumnKind): Float64Array {
  const rows = starts.length - 1;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) out[r] = format === 'binary' ? binaryValue(buf, starts[r], col, kind) : textValue(buf, starts[r], col, kind);
  return out;
}

/** Column `col` of the row starting at `rowStart`. */
export function columnValue(buf: Uint8Array, format: CopyFormat, rowStart: number, col: number, kind: ColumnKind): number {
  return format === 'binary' ? binaryValue(buf, rowStart, col, kind) : textValue(buf, rowStart, col, kind);
}

function binaryValue(buf: Uint8Array, rowStart: number, col: number, kind: ColumnKind): number {
  let p = rowStart + 2;
  for (let f = 0; f < col; f++) {
    const len = ((buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]) >> 0;
    p += 4 + (len > 0 ? len : 0);
  }
  const len = ((buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]) >> 0;
  p += 4;
  if (len < 0) return Number.NaN;
  if (len === 2) return ((buf[p] << 8) | buf[p + 1]) << 16 >> 16;
  if (len === 4) return (buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3];
  if (len !== 8) throw new Error(`column ${col} is ${len} bytes, not an integer or a timestamp`);
  const hi = (buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]; // signed
  const lo = ((buf[p + 4] << 24) | (buf[p + 5] << 16) | (buf[p + 6] << 8) | buf[p + 7]) >>> 0;
  void kind; // both kinds are 64-bit integers in binary COPY (timestamptz: microseconds since 2000)
  return hi * TWO32 + lo;
}

function textValue(buf: Uint8Array, rowStart: number, col: number, kind: ColumnKind): number {
  let p = rowStart;
  for (let f = 0; f < col; f++) {
    while (buf[p] !== 9) p++;
    p++;
  }
  if (buf[p] === 92 && buf[p + 1] === 78) return Number.NaN; // \N
  if (kind === 'int') {
    let neg = false;
    if (buf[p] === 45) {
      neg = true;
      p++;
    }
    let v = 0;
    while (buf[p] >= 48 && buf[p] <= 57) v = v * 10 + (buf[p++] - 48);
    return neg ? -v : v;
  }
  return textTimestampUs(buf, p);
}

/** "YYYY-MM-DD HH:MM:SS[.ffffff]+00" (the encoder's UTC form) as microseconds since 2000-01-01. */
function textTimestampUs(buf: Uint8Array, p: number): number {
  const num = (at: number, n: number) => {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 10 + (buf[at + i] - 48);
    return v;
  };
  const ms = Date.UTC(num(p, 4), num(p + 5, 2) - 1, num(p + 8, 2), num(p + 11, 2), num(p + 14, 2), num(p + 17, 2));
  let us = 0;
  let q = p + 19;
  if (buf[q] === 46) {
    q++;
    let digits = 0;
    while (buf[q] >= 48 && buf[q] <= 57) {
      if (digits < 6) us = us * 10 + (buf[q] - 48);
      digits++;
      q++;
    }
    for (; digits < 6; digits++) us *= 10;
  }
  if (buf[q] !== 43 || buf[q + 1] !== 48 || buf[q + 2] !== 48) throw new Error('text timestamps must be in UTC (+00)');
  return ms * 1000 + us - PG_EPOCH_US;
}

/** A timestamp in epoch milliseconds as PostgreSQL's microseconds since 2000-01-01 (the unit columnValues returns). */
export function pgMicros(epochMs: number): number {
  return epochMs * 1000 - PG_EPOCH_US;
}
