import { describe, expect, it } from 'vitest';
import { entry } from '../generate/pools.ts';
import { BinaryRowWriter, TextRowWriter, copySql, type RowWriter } from './writer.ts';

function text(fn: (w: RowWriter) => void): string {
  const w = new TextRowWriter(16);
  fn(w);
  return w.take().toString('utf8');
}

function hex(fn: (w: RowWriter) => void): string {
  const w = new BinaryRowWriter(16);
  fn(w);
  return w.take().toString('hex');
}

const row = (...fields: Array<(w: RowWriter) => void>) => (w: RowWriter) => {
  w.beginRow(fields.length);
  for (const f of fields) f(w);
  w.endRow();
};

describe('text COPY encoder (byte-exact)', () => {
  it.each<[string, (w: RowWriter) => void, string]>([
    ['integers', row((w) => w.int(0, 8), (w) => w.int(7, 4), (w) => w.int(-12, 2)), '0\t7\t-12\n'],
    ['big snowflake ids', row((w) => w.int(775736541478912, 8), (w) => w.int(2 ** 53 - 1, 8)), '775736541478912\t9007199254740991\n'],
    ['digits around 2^31', row((w) => w.int(2147483647, 8), (w) => w.int(2147483648, 8), (w) => w.int(10000000000, 8)), '2147483647\t2147483648\t10000000000\n'],
    ['null and booleans', row((w) => w.null(), (w) => w.bool(true), (w) => w.bool(false)), '\\N\tt\tf\n'],
    ['timestamps in UTC with milliseconds', row((w) => w.timestamptz(Date.UTC(2026, 0, 2, 3, 4, 5, 6)), (w) => w.timestamptz(Date.UTC(2026, 11, 31, 23, 59, 59, 999))), '2026-01-02 03:04:05.006+00\t2026-12-31 23:59:59.999+00\n'],
    ['escaped text', row((w) => w.str('tab\there\nnew \\ back\rcr')), 'tab\\there\\nnew \\\\ back\\rcr\n'],
    ['multi-byte text', row((w) => w.str('café 日本 🔥')), 'café 日本 🔥\n'],
    ['pool entries use their escaped bytes', row((w) => w.entry(entry('a\tb'))), 'a\\tb\n'],
    ['assembled text', row((w) => { w.beginText(); w.ascii('<@'); w.digits(42); w.ascii('>'); w.piece(entry(' x\ny')); w.endText(); }), '<@42> x\\ny\n'],
    ['empty text is not NULL', row((w) => { w.beginText(); w.endText(); }, (w) => w.null()), '\t\\N\n'],
    ['bigint arrays', row((w) => w.int8Array([1, 22, 333])), '{1,22,333}\n'],
    ['jsonb', row((w) => w.jsonb('{"a": [1]}')), '{"a": [1]}\n'],
    ['uuid', row((w) => w.uuid(0x01234567, 0x89abcdef, 0x0fedcba9, 0x87654321)), '01234567-89ab-cdef-0fed-cba987654321\n'],
  ])('%s', (_name, fn, expected) => expect(text(fn)).toBe(expected));
});

describe('binary COPY encoder (byte-exact)', () => {
  it('writes the signature header and trailer', () => {
    const w = new BinaryRowWriter();
    expect(w.header().toString('hex')).toBe('5047434f50590aff0d0a00' + '00000000' + '00000000');
    expect(w.trailer().toString('hex')).toBe('ffff');
  });
  it.each<[string, (w: RowWriter) => void, string]>([
    ['int8', row((w) => w.int(775736541478912, 8)), '0001' + '00000008' + '0002c1873cfe8000'],
    ['int4 and int2', row((w) => w.int(-2, 4), (w) => w.int(3, 2)), '0002' + '00000004fffffffe' + '000000020003'],
    ['null', row((w) => w.null()), '0001ffffffff'],
    ['bool', row((w) => w.bool(true)), '00010000000101'],
    // 2000-01-01 plus one day and 1 ms, in microseconds: 86400001000
    ['timestamptz', row((w) => w.timestamptz(Date.UTC(2000, 0, 2, 0, 0, 0, 1))), '0001' + '00000008' + '000000141dd763e8'],
    ['text', row((w) => w.str('hé')), '0001' + '00000003' + '68c3a9'],
    ['assembled text', row((w) => { w.beginText(); w.ascii('ab'); w.piece(entry('\n')); w.endText(); }), '0001' + '00000003' + '61620a'],
    ['jsonb', row((w) => w.jsonb('{}')), '0001' + '00000003' + '017b7d'],
    ['bigint array', row((w) => w.int8Array([5])), '0001' + '00000020' + '00000001' + '00000000' + '00000014' + '00000001' + '00000001' + '00000008' + '0000000000000005'],
    ['uuid', row((w) => w.uuid(1, 2, 3, 4)), '0001' + '00000010' + '00000001000000020000000300000004'],
  ])('%s', (_name, fn, expected) => expect(hex(fn)).toBe(expected));
});

describe('COPY statements', () => {
  it('name the columns and the format', () => {
    expect(copySql('messages', ['id', 'content'], 'text')).toBe('COPY messages (id, content) FROM STDIN');
    expect(copySql('messages', ['id'], 'binary')).toBe('COPY messages (id) FROM STDIN (FORMAT binary)');
  });
});
