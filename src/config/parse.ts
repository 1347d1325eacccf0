// Parsers for the values users type on the command line: counts, durations, rates, dates, URLs.
// Each returns a plain value or throws the one-line UsageError of errors.ts naming the flag.
import { invalidFlag, UsageError } from '../errors.ts';
import { redactUrlText } from '../db/redact.ts';
import { formatCount } from '../metrics/format.ts';

const COUNT_SUFFIX: Record<string, number> = { '': 1, k: 1e3, m: 1e6, b: 1e9 };
const COUNT_RE = /^(\d[\d_]*)(?:\.(\d+))?([kmb]?)$/i;

/** `5000`, `5_000`, `250K`, `2.5M`, `100M`, `1B` -> integer > 0 (at most `max`). */
export function parseCount(flag: string, raw: unknown, max = Number.MAX_SAFE_INTEGER): number {
  const text = String(raw).trim();
  const m = COUNT_RE.exec(text);
  const expected = `a count such as 5000, 250K, 2.5M or 1B`;
  if (!m || m[1].endsWith('_') || m[1].includes('__')) throw invalidFlag(flag, raw, expected);
  const whole = m[1].replaceAll('_', '');
  const frac = m[2] ?? '';
  const mult = COUNT_SUFFIX[m[3].toLowerCase()];
  // Exact decimal arithmetic: 2.5M must be 2500000 exactly, and 2.5 (no suffix) is a fractional row.
  const digits = BigInt(whole + frac) * BigInt(mult);
  const scale = 10n ** BigInt(frac.length);
  if (digits % scale !== 0n) throw invalidFlag(flag, raw, `a whole number of rows (${expected})`);
  const value = digits / scale;
  if (value <= 0n) throw invalidFlag(flag, raw, `a positive count (${expected})`);
  if (value > BigInt(max)) throw invalidFlag(flag, raw, `at most ${formatCount(max)}`);
  return Number(value);
}

const DURATION_UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `500ms`, `30s`, `5m`, `1h`, `1m30s` -> milliseconds. A bare number is seconds. */
export function parseDuration(flag: string, raw: unknown, { allowZero = false } = {}): number {
  const text = String(raw).trim();
  const expected = 'a duration such as 30s, 5m or 1h';
  if (/^\d+(\.\d+)?$/.test(text)) {
    const ms = Math.round(Number(text) * 1000);
    if (ms === 0 && !allowZero) throw invalidFlag(flag, raw, `a positive duration (${expected})`);
    return ms;
  }
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * DURATION_UNIT_MS[m[2]];
    consumed = re.lastIndex;
  }
  if (consumed === 0 || consumed !== text.length) throw invalidFlag(flag, raw, expected);
  if (total === 0 && !allowZero) throw invalidFlag(flag, raw, `a positive duration (${expected})`);
  return Math.round(total);
}

/** A positive integer within [min, max]. */
export function parseInteger(flag: string, raw: unknown, min: number, max: number): number {
  const text = String(raw).trim();
  if (!/^-?\d+$/.test(text)) throw invalidFlag(flag, raw, `an integer from ${min} to ${max}`);
  const n = Number(text);
  if (n < min || n > max) throw invalidFlag(flag, raw, `an integer from ${min} to ${max}`);
  return n;
}

/** A positive rate in operations per second: `200`, `1.5K`, `200/s`. */
export function parseRate(flag: string, raw: unknown): number {
  const text = String(raw).trim().replace(/\/s$/, '');
  const m = /^(\d+(?:\.\d+)?)([kK]?)$/.exec(text);
  if (!m) throw invalidFlag(flag, raw, 'a rate in operations per second such as 200 or 1.5K');
  const n = Number(m[1]) * (m[2] ? 1000 : 1);
  if (!(n > 0) || n > 1e7) throw invalidFlag(flag, raw, 'a rate above 0 and at most 10M per second');
  return n;
}

/** `10%` or `0.1` -> 0.1 */
export function parseFraction(flag: string, raw: unknown): number {
  const text = String(raw).trim();
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(text);
  const n = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN;
  if (!(n > 0 && n < 10)) throw invalidFlag(flag, raw, 'a percentage such as 10% or a fraction such as 0.1');
  return n;
}

/** `2026-01-01` or a full ISO timestamp -> epoch milliseconds (UTC). */
export function parseDate(flag: string, raw: unknown): number {
  const text = String(raw).trim();
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(ms)) {
    throw invalidFlag(flag, raw, 'a date such as 2026-01-01 or 2026-01-01T12:00:00Z');
  }
  return ms;
}

/** A postgres:// or postgresql:// URL with a host. The password never appears in the error. */
export function parseDbUrl(flag: string, raw: unknown): URL {
  const text = String(raw ?? '').trim();
  const expected = 'a URL such as postgres://user@host:5432/dbname';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidFlag(flag, redactUrlText(text), expected);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw invalidFlag(flag, redactUrlText(text), `${expected} (postgres:// or postgresql://)`);
  }
  if (!url.hostname) throw invalidFlag(flag, redactUrlText(text), `${expected} (with a host)`);
  if (url.port && !(Number(url.port) > 0 && Number(url.port) < 65536)) {
    throw invalidFlag(flag, redactUrlText(text), `${expected} (port 1-65535)`);
  }
  for (const [key, value] of url.searchParams) {
    const rule = URL_PARAMETERS[key];
    if (!rule) throw new UsageError(`unsupported parameter "${key}" in the --${flag} URL: chatbench understands ${Object.keys(URL_PARAMETERS).join(', ')}`);
    if (rule !== true && !rule.test(value)) throw new UsageError(`invalid value ${JSON.stringify(key === 'password' ? '***' : value)} for ${key} in the --${flag} URL: expected ${URL_PARAMETER_HELP[key]}`);
  }
  return url;
}

/** libpq URL parameters chatbench honours (true: any value). */
const URL_PARAMETERS: Record<string, RegExp | true> = {
  sslmode: /^(disable|allow|prefer|require|verify-ca|verify-full)$/,
  sslrootcert: true,
  sslcert: true,
  sslkey: true,
  options: true,
  connect_timeout: /^\d{1,6}$/,
  passfile: true,
  password: true,
  user: true,
  dbname: true,
};
const URL_PARAMETER_HELP: Record<string, string> = {
  sslmode: 'disable, allow, prefer, require, verify-ca or verify-full',
  connect_timeout: 'whole seconds',
};
