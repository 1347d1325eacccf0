// Number formatting shared by progress lines, terminal tables and reports. A leaf.

const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/** 1536 -> "1.5 kB", 6442450944 -> "6.0 GB" (binary multiples, as PostgreSQL prints them). */
export function formatBytes(bytes: number): string {
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < BYTE_UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${BYTE_UNITS[i]}`;
}

/** 6442450944 -> "6GB", 67108864 -> "64MB": exact, in the style of postgresql.conf. */
export function formatSettingBytes(bytes: number): string {
  let v = bytes;
  let i = 0;
  while (v >= 1024 && v % 1024 === 0 && i < BYTE_UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v}${BYTE_UNITS[i]}`;
}

/** 1234567 -> "1,234,567" */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Operations per second, or any measured value, for people: 2930 -> "2,930", 82.5 -> "82.5", 1.5625 -> "1.56". */
export function formatRate(perSec: number): string {
  return Math.abs(perSec) >= 100 ? formatCount(perSec) : String(Number(perSec.toPrecision(3)));
}

/** 12_500_000 -> "12.5M" */
export function shortCount(n: number): string {
  for (const [suffix, size] of [['B', 1e9], ['M', 1e6], ['K', 1e3]] as const) {
    if (Math.abs(n) >= size) return `${Number((n / size).toFixed(Math.abs(n / size) >= 100 ? 0 : 1))}${suffix}`;
  }
  return String(Math.round(n));
}

/** Microseconds for people: 850 -> "850 µs", 12500 -> "12.5 ms", 2500000 -> "2.50 s". */
export function formatUs(us: number): string {
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)} ms`;
  return `${(us / 1_000_000).toFixed(2)} s`;
}

/** Milliseconds for people: 950 -> "950 ms", 75000 -> "1m15s". */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s % 60).padStart(2, '0')}s`;
}
