// The documented defaults of a data set: two users who do not choose get the same data.

/** Default --seed. */
export const DEFAULT_SEED = 20260101;
/** Default --start: the first instant of the data (UTC). Fixed, not "now", so data is reproducible. */
export const DEFAULT_START_MS = Date.UTC(2026, 0, 1);
/** Default --days of history: three months, so monthly retention and weekly partitions both show. */
export const DEFAULT_DAYS = 90;
