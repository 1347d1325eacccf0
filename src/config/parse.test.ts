import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.ts';
import { parseCount, parseDbUrl, parseDuration, parseFraction, parseRate, parseDate } from './parse.ts';

describe('parseCount', () => {
  it.each([
    ['5000', 5000],
    ['5_000', 5000],
    ['250K', 250_000],
    ['250k', 250_000],
    ['2.5M', 2_500_000],
    ['100M', 100_000_000],
    ['1B', 1_000_000_000],
    ['1.234567M', 1_234_567],
  ])('%s -> %d', (raw, n) => expect(parseCount('messages', raw)).toBe(n));

  it.each([
    ['0', 'positive'],
    ['-5', 'expected a count'],
    ['2.5', 'whole number'],
    ['1.0000001M', 'whole number'],
    ['100X', 'expected a count'],
    ['', 'expected a count'],
    ['5__000', 'expected a count'],
    ['1e6', 'expected a count'],
  ])('%s is a usage error (%s)', (raw, why) => {
    expect(() => parseCount('messages', raw)).toThrow(UsageError);
    expect(() => parseCount('messages', raw)).toThrow(why);
    expect(() => parseCount('messages', raw)).toThrow(`for --messages`);
  });

  it('refuses counts beyond the limit, naming it', () => {
    expect(() => parseCount('messages', '2B', 1_000_000_000)).toThrow('at most 1,000,000,000');
  });

  it('names the flag and the value in one line', () => {
    expect(() => parseCount('messages', '100X')).toThrow('invalid value "100X" for --messages: expected a count such as 5000, 250K, 2.5M or 1B');
  });
});

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['2', 2000],
  ])('%s -> %d ms', (raw, ms) => expect(parseDuration('duration', raw)).toBe(ms));
  it.each(['10x', 's', '0s', '-1s', '1s2'])('%s is a usage error', (raw) => expect(() => parseDuration('duration', raw)).toThrow(UsageError));
  it('allows zero when asked', () => expect(parseDuration('warmup', '0s', { allowZero: true })).toBe(0));
});

describe('other values', () => {
  it('rates', () => {
    expect(parseRate('rate', '200')).toBe(200);
    expect(parseRate('rate', '1.5K')).toBe(1500);
    expect(parseRate('rate', '50/s')).toBe(50);
    expect(() => parseRate('rate', '0')).toThrow(UsageError);
  });
  it('fractions', () => {
    expect(parseFraction('threshold', '10%')).toBeCloseTo(0.1);
    expect(parseFraction('threshold', '0.25')).toBeCloseTo(0.25);
    expect(() => parseFraction('threshold', 'ten')).toThrow(UsageError);
  });
  it('dates', () => {
    expect(parseDate('start', '2026-01-01')).toBe(Date.UTC(2026, 0, 1));
    expect(() => parseDate('start', 'yesterday')).toThrow(UsageError);
  });
});

describe('parseDbUrl', () => {
  it('accepts postgres and postgresql URLs', () => {
    expect(parseDbUrl('db', 'postgres://u@h:5433/d').port).toBe('5433');
    expect(parseDbUrl('db', 'postgresql://u@h/d').hostname).toBe('h');
  });
  it.each(['not a url', 'http://h/d', 'postgres:///d', 'postgres://u@h:99999/d'])('%s is a usage error', (raw) => expect(() => parseDbUrl('db', raw)).toThrow(UsageError));
  it('never shows the password of a bad URL', () => {
    expect(() => parseDbUrl('db', 'mysql://app:s3cret@h/d')).toThrow(/app:\*\*\*@h/);
    try {
      parseDbUrl('db', 'mysql://app:s3cret@h/d');
    } catch (e) {
      expect(String((e as Error).message)).not.toContain('s3cret');
    }
  });
});
