// COPY encoders: rows written field by field into a growing byte buffer, in PostgreSQL's text or
// binary COPY format, with one API so row generators do not care which. Pure: no I/O.
//
// Text format: fields separated by tab, rows ended by newline, NULL as \N, and backslash, tab,
// newline and carriage return escaped. Binary format: a signature header, then per row a field
// count and per field a 32-bit length and the value in the type's binary send format.
import type { PackedText, PoolEntry } from '../generate/pools.ts';

export type CopyFormat = 'text' | 'binary';

const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const TWO32 = 4294967296;
const BINARY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const INT8_OID = 20;
const POW10 = Array.from({ length: 17 }, (_, i) => 10 ** i);
const DIGIT_PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  DIGIT_PAIRS[i * 2] = 48 + Math.floor(i / 10);
  DIGIT_PAIRS[i * 2 + 1] = 48 + (i % 10);
}
const HEX = new Uint8Array([48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102]);

export interface RowWriter {
  readonly format: CopyFormat;
  /** Bytes written so far. */
  readonly length: number;
  beginRow(fields: number): void;
  endRow(): void;
  null(): void;
  int(n: number, bytes: 2 | 4 | 8): void;
  bool(b: boolean): void;
  /** timestamptz from epoch milliseconds (millisecond precision, printed in UTC). */
  timestamptz(ms: number): void;
  /** A JS string (escaped here: the slow path, for small tables). */
  str(s: string): void;
  /** A pre-encoded pool entry (the fast path). */
  entry(e: PoolEntry): void;
  /** A text value assembled from pieces: beginText(), piece()..., endText(). */
  beginText(): void;
  piece(e: PoolEntry): void;
  /** Text i of a packed pool, as a piece of the current text value. */
  packed(p: PackedText, i: number): void;
  ascii(s: string): void;
  digits(n: number): void;
  endText(): void;
  /** jsonb from JSON text that needs no COPY escaping (we build it from safe parts). */
  jsonb(json: string): void;
  /** bigint[] (non-empty, no NULL elements). */
  int8Array(values: readonly number[]): void;
  /** uuid from four 32-bit words. */
  uuid(w0: number, w1: number, w2: number, w3: number): void;
  /** Bytes as they are (the header and trailer of a COPY stream). */
  raw(bytes: Buffer): void;
  /** The bytes written since the last take(); the writer continues in a fresh buffer. */
  take(): Buffer;
  /**
   * The bytes written so far, without copying; the writer then starts over in the same buffer, so
   * the view is valid only until the next write (for callers that double-buffer).
   */
  view(): Buffer;
  /** Bytes that must follow the last row (binary trailer). */
  trailer(): Buffer;
  /** Bytes that must precede the first row (binary header). */
  header(): Buffer;
}

abstract class BaseWriter {
  protected buf: Buffer;
  protected pos = 0;
  constructor(initialBytes = 1 << 20) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }
  get length(): number {
    return this.pos;
  }
  protected ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
  protected putAscii(s: string): void {
    this.ensure(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i);
  }
  protected putBytes(b: Buffer): void {
    const n = b.length;
    this.ensure(n);
    // Most pieces are a few bytes: a loop beats Buffer#copy's native call overhead.
    if (n <= 64) {
      const buf = this.buf;
      let p = this.pos;
      for (let i = 0; i < n; i++) buf[p++] = b[i];
      this.pos = p;
    } else {
      b.copy(this.buf, this.pos);
      this.pos += n;
    }
  }
  /** Decimal digits of a non-negative integer below 2^53, two at a time, without allocating. */
  protected putDigits(n: number): void {
    this.ensure(17);
    const buf = this.buf;
    let len = 1;
    if (n >= 1e15) len = 16;
    else if (n >= 1e8) {
      len = 9;
      while (len < 16 && n >= POW10[len]) len++;
    } else {
      while (len < 8 && n >= POW10[len]) len++;
    }
    let p = this.pos + len;
    this.pos = p;
    let x = n;
    // Above 2^31 peel off eight digits with float math, then finish on 32-bit integers.
    if (x >= 2147483648) {
      let low = x % 1e8;
      x = (x - low) / 1e8;
      for (let i = 0; i < 4; i++) {
        const q = (low / 100) | 0;
        const r = (low - q * 100) * 2;
        buf[--p] = DIGIT_PAIRS[r + 1];
        buf[--p] = DIGIT_PAIRS[r];
        low = q;
      }
    }
    while (x >= 100) {
      const q = (x / 100) | 0;
      const r = (x - q * 100) * 2;
      buf[--p] = DIGIT_PAIRS[r + 1];
      buf[--p] = DIGIT_PAIRS[r];
      x = q;
    }
    if (x >= 10) {
      buf[--p] = DIGIT_PAIRS[x * 2 + 1];
      buf[--p] = DIGIT_PAIRS[x * 2];
    } else buf[--p] = 48 + x;
  }
  raw(bytes: Buffer): void {
    if (bytes.length) this.putBytes(bytes);
  }
  protected putRange(src: Uint8Array, from: number, to: number): void {
    const n = to - from;
    this.ensure(n);
    if (n <= 16) {
      const buf = this.buf;
      let p = this.pos;
      for (let i = from; i < to; i++) buf[p++] = src[i];
      this.pos = p;
    } else {
      // Buffer#copy goes through a slow binding in Node 20; a typed-array set() is a plain memcpy.
      this.buf.set(src.subarray(from, to), this.pos);
      this.pos += n;
    }
  }
  view(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.pos = 0;
    return out;
  }
  take(): Buffer {
    // Hand the bytes over without copying, and continue in a fresh buffer of the same size.
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(this.buf.length);
    this.pos = 0;
    return out;
  }
}

/** Writes "YYYY-MM-DD HH:MM:SS.mmm+00" for epoch milliseconds, caching the date part per day. */
class TimestampText {
  private day = Number.NaN;
  private readonly date = new Uint8Array(11);
  write(buf: Buffer, pos: number, ms: number): number {
    const day = Math.floor(ms / 86_400_000);
    if (day !== this.day) {
      this.day = day;
      const iso = new Date(day * 86_400_000).toISOString();
      for (let i = 0; i < 10; i++) this.date[i] = iso.charCodeAt(i);
      this.date[10] = 32;
    }
    for (let i = 0; i < 11; i++) buf[pos++] = this.date[i];
    let t = ms - day * 86_400_000;
    const h = (t / 3_600_000) | 0;
    t -= h * 3_600_000;
    const mi = (t / 60_000) | 0;
    t -= mi * 60_000;
    const sec = (t / 1000) | 0;
    const milli = t - sec * 1000;
    buf[pos++] = 48 + ((h / 10) | 0);
    buf[pos++] = 48 + (h % 10);
    buf[pos++] = 58;
    buf[pos++] = 48 + ((mi / 10) | 0);
    buf[pos++] = 48 + (mi % 10);
    buf[pos++] = 58;
    buf[pos++] = 48 + ((sec / 10) | 0);
    buf[pos++] = 48 + (sec % 10);
    buf[pos++] = 46;
    buf[pos++] = 48 + ((milli / 100) | 0);
    buf[pos++] = 48 + (((milli / 10) | 0) % 10);
    buf[pos++] = 48 + (milli % 10);
    buf[pos++] = 43;
    buf[pos++] = 48;
    buf[pos++] = 48;
    return pos;
  }
}

export class TextRowWriter extends BaseWriter implements RowWriter {
  readonly format = 'text' as const;
  private readonly ts = new TimestampText();
  header(): Buffer {
    return Buffer.alloc(0);
  }
  trailer(): Buffer {
    return Buffer.alloc(0);
  }
  beginRow(): void {}
  endRow(): void {
    // every field wrote a trailing tab; the last one becomes the row's newline
    this.buf[this.pos - 1] = 10;
  }
  private sep(): void {
    this.ensure(1);
    this.buf[this.pos++] = 9;
  }
  null(): void {
    this.ensure(3);
    this.buf[this.pos++] = 92;
    this.buf[this.pos++] = 78;
    this.sep();
  }
  int(n: number): void {
    if (n < 0) {
      this.ensure(1);
      this.buf[this.pos++] = 45;
      this.putDigits(-n);
    } else this.putDigits(n);
    this.sep();
  }
  bool(b: boolean): void {
    this.ensure(2);
    this.buf[this.pos++] = b ? 116 : 102;
    this.sep();
  }
  timestamptz(ms: number): void {
    this.ensure(27);
    this.pos = this.ts.write(this.buf, this.pos, ms);
    this.sep();
  }
  str(s: string): void {
    const escaped = s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
    this.ensure(Buffer.byteLength(escaped) + 1);
    this.pos += this.buf.write(escaped, this.pos, 'utf8');
    this.sep();
  }
  entry(e: PoolEntry): void {
    this.putBytes(e.esc);
    this.sep();
  }
  beginText(): void {}
  piece(e: PoolEntry): void {
    this.putBytes(e.esc);
  }
  packed(p: PackedText, i: number): void {
    this.putRange(p.esc, p.escOff[i], p.escOff[i + 1]);
  }
  ascii(s: string): void {
    this.putAscii(s);
  }
  digits(n: number): void {
    this.putDigits(n);
  }
  endText(): void {
    this.sep();
  }
  jsonb(json: string): void {
    this.ensure(Buffer.byteLength(json) + 1);
    this.pos += this.buf.write(json, this.pos, 'utf8');
    this.sep();
  }
  int8Array(values: readonly number[]): void {
    this.ensure(1);
    this.buf[this.pos++] = 123;
    for (let i = 0; i < values.length; i++) {
      if (i) {
        this.ensure(1);
        this.buf[this.pos++] = 44;
      }
      this.putDigits(values[i]);
    }
    this.ensure(1);
    this.buf[this.pos++] = 125;
    this.sep();
  }
  uuid(w0: number, w1: number, w2: number, w3: number): void {
    this.ensure(37);
    const buf = this.buf;
    let p = this.pos;
    const words = [w0, w1, w2, w3];
    for (let k = 0; k < 4; k++) {
      const w = words[k] >>> 0;
      for (let shift = 28; shift >= 0; shift -= 4) {
        buf[p++] = HEX[(w >>> shift) & 15];
        if ((k === 1 || k === 2) && shift === 16) buf[p++] = 45; // 8-4-4-4-12
      }
      if (k <= 1) buf[p++] = 45;
    }
    this.pos = p;
    this.sep();
  }
}

export class BinaryRowWriter extends BaseWriter implements RowWriter {
  readonly format = 'binary' as const;
  private textStart = -1;
  header(): Buffer {
    const h = Buffer.alloc(BINARY_SIGNATURE.length + 8);
    BINARY_SIGNATURE.copy(h, 0);
    return h; // flags and header-extension length are both zero
  }
  trailer(): Buffer {
    return Buffer.from([0xff, 0xff]);
  }
  beginRow(fields: number): void {
    this.ensure(2);
    this.buf[this.pos++] = fields >>> 8;
    this.buf[this.pos++] = fields & 255;
  }
  endRow(): void {}
  /** Big-endian 32 bits by hand: Buffer#writeInt32BE's argument checks cost more than the write. */
  private u32(v: number): void {
    const b = this.buf;
    const p = this.pos;
    b[p] = v >>> 24;
    b[p + 1] = (v >>> 16) & 255;
    b[p + 2] = (v >>> 8) & 255;
    b[p + 3] = v & 255;
    this.pos = p + 4;
  }
  private len(n: number): void {
    this.ensure(4 + Math.max(n, 0));
    this.u32(n >>> 0);
  }
  private int64(n: number): void {
    const hi = Math.floor(n / TWO32);
    this.u32(hi >>> 0);
    this.u32((n - hi * TWO32) >>> 0);
  }
  null(): void {
    this.len(-1);
  }
  int(n: number, bytes: 2 | 4 | 8): void {
    this.len(bytes);
    if (bytes === 8) this.int64(n);
    else if (bytes === 4) this.u32(n >>> 0);
    else {
      this.buf[this.pos++] = (n >>> 8) & 255;
      this.buf[this.pos++] = n & 255;
    }
  }
  bool(b: boolean): void {
    this.len(1);
    this.buf[this.pos++] = b ? 1 : 0;
  }
  timestamptz(ms: number): void {
    this.len(8);
    this.int64((ms - PG_EPOCH_MS) * 1000);
  }
  str(s: string): void {
    const n = Buffer.byteLength(s);
    this.len(n);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }
  entry(e: PoolEntry): void {
    this.len(e.raw.length);
    this.putBytes(e.raw);
  }
  beginText(): void {
    this.ensure(4);
    this.textStart = this.pos;
    this.pos += 4;
  }
  piece(e: PoolEntry): void {
    this.putBytes(e.raw);
  }
  packed(p: PackedText, i: number): void {
    this.putRange(p.raw, p.rawOff[i], p.rawOff[i + 1]);
  }
  ascii(s: string): void {
    this.putAscii(s);
  }
  digits(n: number): void {
    this.putDigits(n);
  }
  endText(): void {
    const end = this.pos;
    this.pos = this.textStart;
    this.u32(end - this.textStart - 4);
    this.pos = end;
  }
  jsonb(json: string): void {
    const n = Buffer.byteLength(json);
    this.len(n + 1);
    this.buf[this.pos++] = 1; // jsonb binary format version
    this.pos += this.buf.write(json, this.pos, 'utf8');
  }
  int8Array(values: readonly number[]): void {
    this.len(20 + values.length * 12);
    this.buf.writeInt32BE(1, this.pos); // dimensions
    this.buf.writeInt32BE(0, this.pos + 4); // has nulls
    this.buf.writeInt32BE(INT8_OID, this.pos + 8);
    this.buf.writeInt32BE(values.length, this.pos + 12);
    this.buf.writeInt32BE(1, this.pos + 16); // lower bound
    this.pos += 20;
    for (const v of values) {
      this.buf.writeInt32BE(8, this.pos);
      this.pos += 4;
      this.int64(v);
    }
  }
  uuid(w0: number, w1: number, w2: number, w3: number): void {
    this.len(16);
    this.buf.writeUInt32BE(w0 >>> 0, this.pos);
    this.buf.writeUInt32BE(w1 >>> 0, this.pos + 4);
    this.buf.writeUInt32BE(w2 >>> 0, this.pos + 8);
    this.buf.writeUInt32BE(w3 >>> 0, this.pos + 12);
    this.pos += 16;
  }
}

export function createWriter(format: CopyFormat, initialBytes?: number): RowWriter {
  return format === 'text' ? new TextRowWriter(initialBytes) : new BinaryRowWriter(initialBytes);
}

/** The COPY statement for a table and column list in this format. */
export function copySql(table: string, columns: readonly string[], format: CopyFormat): string {
  return `COPY ${table} (${columns.join(', ')}) FROM STDIN${format === 'binary' ? ' (FORMAT binary)' : ''}`;
}
