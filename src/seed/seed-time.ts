// How long a seed takes, step by step: work per row for each step (core-seconds, fitted from
// seeds at 10M and 100M messages on a quiet 2-core machine, docs/PERFORMANCE.md), scaled by how fast
// this server ingests a sample now (the calibration), divided among the connections, and slowed
// where the data outgrows the memory left for the page cache (also fitted from those runs). Pure.
import type { IndexKind } from './index-kind.ts';

export interface TimeModelInput {
  /** Messages, and rows of every table, of the data plan. */
  messages: number;
  rows: Record<string, number>;
  variants: Array<{
    name: string;
    /** Bytes on disk of the heap and of each index (the size estimates), and each index's kind (from the design's SQL). */
    heapBytes: number;
    indexes: Array<{ name: string; table: string; bytes: number; kind: IndexKind }>;
    /** Leaf partitions of the messages table (1 when unpartitioned). */
    messageLeaves: number;
  }>;
  /** Connections (and cores) the seed uses. */
  jobs: number;
  cores: number;
  /** Memory left to the page cache: RAM less shared_buffers and what the processes hold. */
  cacheBytes: number;
  /**
   * The variants seeded together (indexes into `variants`), one group after another: each group is
   * generated once for its variants, then post-loaded before the next group loads (memoryGroups).
   * Default: one group of them all.
   */
  groups?: number[][];
  /** Calibration now against the reference machine's: > 1 when this server is faster. */
  speed: number;
  verify: 'full' | 'sample' | 'none';
}

export interface StepTime {
  step: string;
  seconds: number;
  /** Work in core-seconds, before dividing among connections. */
  workSeconds: number;
  detail: string;
}

export interface TimeModel {
  /** Steps summed over the groups. */
  steps: StepTime[];
  /** Each group's variants and times, in the order they are seeded. */
  groups: Array<{ variants: string[]; loadSeconds: number; postLoadSeconds: number }>;
  /** Each index build's work (core-seconds at this speed), by variant. */
  builds: Array<{ variant: string; name: string; kind: IndexKind; workSeconds: number }>;
  loadSeconds: number;
  postLoadSeconds: number;
  totalSeconds: number;
}

/**
 * Work per row, in core-microseconds, on the reference machine (2 vCPUs, 24 GB, quiet), fitted to
 * the step times of two seeds of btree-monthly there on 2026-12-01: 10M messages in 2m03s and 100M
 * in 22m41s (docs/PERFORMANCE.md). The model reproduces each step of both within about 20%. Index
 * builds per entry at 6.7M entries per leaf, growing with the log of the leaf's entries (a sort).
 */
export const REFERENCE = {
  /** What the calibration sample (calibrateServer) measured on that machine when the figures below were taken. */
  serverMessagesPerSec: 137_000,
  /** The whole load (generation, routing, COPY FREEZE of the family and the small tables) per message and variant. */
  loadUsPerMessage: 12.2,
  /** Of which generation, shared by all the variants of one seed. */
  generateUsPerMessage: 3.0,
  /**
   * Index builds, per row of the table, by kind (index-kind.ts). The post-load order weighs its
   * builds by the same figures (relativeBuildCost), so the dry run, the ETA and largest-first agree.
   */
  index: {
    perRowUs: {
      /** Keys that arrive in order (a column the generator writes ascending: ids, created_at): the sort finds them sorted. Fitted to the step times. */
      'btree-sorted': 0.86,
      /** Keys in random order (channel, author, user). Fitted to the step times. */
      btree: 2.04,
      /**
       * A partial B-tree over the few rows where an optional column is set: a heap scan and few
       * entries. The threads' index at 100M (btree-monthly): 16.6-20.1 s per partition of 33M
       * messages, 55 s in all (0.55 µs per message); at 10M 3.5 s.
       */
      'btree-sparse': 0.55,
      /**
       * GIN over the mentions array (partial: 8% of messages have mentions). At 100M (btree-monthly,
       * 2026-12-01, reports/20261201-140051-seed): 35.6-36.7 s per partition against 36-49 s for the
       * primary key, 109 s in all (1.09 µs per message); at 10M 8.2 s against the key's 7.3 s; in
       * btree-unpartitioned at 100M 259 s against the key's 331 s. About a primary key's build, not a
       * scan (0.55, half of it) nor 2.5x a B-tree (as the post-load order had it). It grows with the
       * leaf's entries like a sort (0.88 µs at 10M, 1.01 at 100M once that is divided out).
       */
      'gin-array': 1.0,
      /**
       * to_tsvector over every message's text: it parses each row. Measured alone, one backend, on
       * 2M messages in one table: 86.0 s (43 µs per row), against 3.2-3.6 s for random-key B-trees
       * and 1.4 s for the primary key on the same rows (2026-12-01). In btree-monthly-fts at 10M,
       * beside other work: 697 s, 36x the mean of its four message B-trees (the figures here give
       * 43 / 1.45 = 30x).
       */
      'full-text': 43,
      /**
       * A scan of the heap and a summary per block range. brin-monthly at 10M (beside other work):
       * created_at's BRIN 4.5 s against the primary key's 8.7 s in the same run; brin-weekly 4.8 s
       * against 16.4 s: 0.3-0.5x the key's build, so 0.3 µs.
       */
      brin: 0.3,
      /** No design builds one (GiST, hash): costed as a B-tree of random keys until one is measured. */
      other: 2.04,
    } satisfies Record<IndexKind, number>,
    referenceLeafEntries: 6.7e6,
  },
  /** Per message, all foreign keys of the message family and their leaves. */
  foreignKeysUsPerMessage: 2.31,
  /** Foreign keys of the other tables, per row. */
  foreignKeysUsPerRow: 0.66,
  /**
   * The channel counters, counted while loading, then one update of channels (before its indexes),
   * per channel: 0.70 s for 95K channels at 10M and 6.5 s for 957K at 100M on 2026-12-02 (7 µs),
   * a machine that seeded the same data 1.7-2.0x faster than the reference did (10M in 71 s, 100M
   * in 11m26s): about 13 µs there. Before, one scan of every message (0.83 µs a message, 1.95x more
   * once the data outgrew the page cache); a resumed load still does that, the estimate does not.
   */
  reconcileUsPerChannel: 13,
  analyzeSecondsPerRelation: 0.25,
  verifyUsPerRow: { sample: 0.32, full: 1.6, none: 0 },
  checksumUsPerRow: { sample: 0.2, full: 2.2, none: 0 },
  /**
   * Once the data outgrows the page cache, steps read from disk: a step's work grows by this share
   * times the fraction of the data that does not fit (fitted from the 100M run against the 10M one,
   * where 58% of the data did not fit). The load writes sequentially and did not slow (0).
   */
  outOfMemory: { load: 0, indexes: 0.35, foreignKeys: 1.27 },
};

/** Kinds whose build sorts every entry: their work per row grows with the log of the leaf's entries. */
const SORTING: ReadonlySet<IndexKind> = new Set<IndexKind>(['btree-sorted', 'btree', 'gin-array', 'other']);

/**
 * A build's cost against the mean of the two B-tree kinds' on the same rows: the post-load tasks'
 * weights are in pages of such a build (a validation, an ANALYZE are weighed against it).
 */
export function relativeBuildCost(kind: IndexKind): number {
  const us = REFERENCE.index.perRowUs;
  return us[kind] / ((us['btree-sorted'] + us.btree) / 2);
}

/** The few largest index builds, largest first, and how many smaller ones follow (one line, whatever the variants). */
function largestFirst(perIndex: Array<{ name: string; seconds: number }>, shown = 6): string {
  const sorted = [...perIndex].sort((a, b) => b.seconds - a.seconds);
  const head = sorted.slice(0, shown).map((ix) => `${ix.name} ${Math.round(ix.seconds)} s`);
  const rest = sorted.slice(shown);
  const tail = rest.length ? `, and ${rest.length} more of at most ${Math.max(1, Math.round(rest[0].seconds))} s each` : '';
  return `work per index, largest first: ${head.join(', ')}${tail}`;
}

/** The fraction of `bytes` that does not fit in the page cache. */
export function outOfCache(bytes: number, cacheBytes: number): number {
  return bytes <= cacheBytes ? 0 : 1 - cacheBytes / bytes;
}

/**
 * The seed's time: each group (input.groups) loads with one generation for its variants, then runs
 * its post-load steps, before the next group starts; the groups' steps are summed.
 */
export function timeModel(input: TimeModelInput): TimeModel {
  const groups = input.groups?.length ? input.groups : [input.variants.map((_, i) => i)];
  const each = groups.map((g) => groupModel({ ...input, variants: g.map((i) => input.variants[i]) }));
  const steps = each[0].steps.map((s, k) => ({
    step: s.step,
    workSeconds: each.reduce((a, m) => a + m.steps[k].workSeconds, 0),
    seconds: each.reduce((a, m) => a + m.steps[k].seconds, 0),
    detail: groups.length > 1 && s.step === 'load' ? `${input.variants.length} variant(s) in ${groups.length} groups sized to the memory, one generation per group` : s.detail,
  }));
  if (groups.length > 1) {
    const i = steps.findIndex((s) => s.step === 'indexes');
    steps[i].detail = largestFirst(each.flatMap((m) => m.builds).map((b) => ({ name: `${b.variant}.${b.name}`, seconds: b.workSeconds })));
  }
  const loadSeconds = each.reduce((a, m) => a + m.loadSeconds, 0);
  const postLoadSeconds = each.reduce((a, m) => a + m.postLoadSeconds, 0);
  return {
    steps,
    groups: each.map((m, i) => ({ variants: groups[i].map((v) => input.variants[v].name), loadSeconds: m.loadSeconds, postLoadSeconds: m.postLoadSeconds })),
    builds: each.flatMap((m) => m.builds),
    loadSeconds,
    postLoadSeconds,
    totalSeconds: loadSeconds + postLoadSeconds,
  };
}

/** One group's time: its load (one generation), then its post-load steps. */
function groupModel(input: TimeModelInput): Omit<TimeModel, 'groups'> {
  const R = REFERENCE;
  const us = 1e-6;
  const slow = (share: number, bytes: number) => 1 + share * outOfCache(bytes, input.cacheBytes);
  const dataBytes = input.variants.reduce((a, v) => a + v.heapBytes, 0);
  const allRows = Object.values(input.rows).reduce((a, b) => a + b, 0);
  const family = ['messages', 'message_edits', 'reactions', 'attachments'];
  const otherRows = Object.entries(input.rows).filter(([t]) => !family.includes(t)).reduce((a, [, n]) => a + n, 0);
  const n = input.variants.length;
  const par = Math.max(1, Math.min(input.jobs, input.cores));
  const steps: StepTime[] = [];
  const add = (step: string, workSeconds: number, parallel: number, detail: string) => {
    const w = workSeconds / input.speed;
    steps.push({ step, workSeconds: w, seconds: w / parallel, detail });
  };

  // Load: every variant's COPY work, plus one generation for all.
  const loadWork = input.messages * us * (n * (R.loadUsPerMessage - R.generateUsPerMessage) + R.generateUsPerMessage) * slow(R.outOfMemory.load, dataBytes);
  add('load', loadWork, input.cores, `${n} variant(s), one generation, ${formatRate(input.messages, loadWork / input.speed / input.cores)}`);

  let indexWork = 0;
  const builds: TimeModel['builds'] = [];
  for (const v of input.variants) {
    for (const ix of v.indexes) {
      const rows = input.rows[ix.table] ?? 0;
      const leaves = ix.table === 'messages' || family.includes(ix.table) ? v.messageLeaves : 1;
      const leafEntries = Math.max(2, rows / leaves);
      const sort = SORTING.has(ix.kind) ? Math.log2(leafEntries) / Math.log2(R.index.referenceLeafEntries) : 1;
      const heapPerLeaf = (family.includes(ix.table) ? v.heapBytes * 0.85 : v.heapBytes * 0.15) / leaves;
      const w = rows * us * R.index.perRowUs[ix.kind] * Math.max(0.5, sort) * slow(R.outOfMemory.indexes, heapPerLeaf * 2);
      indexWork += w;
      builds.push({ variant: v.name, name: ix.name, kind: ix.kind, workSeconds: w / input.speed });
    }
  }
  add('indexes', indexWork, par, largestFirst(builds.map((b) => ({ name: n > 1 ? `${b.variant}.${b.name}` : b.name, seconds: b.workSeconds }))));
  add('analyze', input.variants.reduce((a, v) => a + (v.messageLeaves * 4 + 15) * R.analyzeSecondsPerRelation, 0), par, 'a sample of each table and leaf');
  const fkWork = n * (input.messages * us * R.foreignKeysUsPerMessage + otherRows * us * R.foreignKeysUsPerRow) * slow(R.outOfMemory.foreignKeys, dataBytes / n);
  add('foreign-keys', fkWork, par, 'validated leaf by leaf (NOT VALID, then VALIDATE)');
  const rec = n * (input.rows.channels ?? 0) * us * R.reconcileUsPerChannel;
  add('reconcile', rec, 1, 'channel counters, counted while loading: one update of channels, on one connection');
  add('verify', n * allRows * us * R.verifyUsPerRow[input.verify], par, input.verify === 'none' ? 'skipped (--verify none)' : `--verify ${input.verify}: row counts per relation${input.verify === 'full' ? ' and per key range' : ''}`);
  add('checksums', n * allRows * us * R.checksumUsPerRow[input.verify], par, input.verify === 'full' ? 'every row hashed' : input.verify === 'sample' ? `one key range in 64 hashed` : 'skipped');

  const loadSeconds = steps.find((s) => s.step === 'load')!.seconds;
  // After the load the steps share the connections; reconcile runs on one of them beside the others.
  const shared = steps.filter((s) => s.step !== 'load' && s.step !== 'reconcile').reduce((a, s) => a + s.workSeconds, 0);
  const recS = steps.find((s) => s.step === 'reconcile')!;
  const postLoadSeconds = Math.max((shared + recS.workSeconds) / par, recS.seconds);
  return { steps, builds, loadSeconds, postLoadSeconds, totalSeconds: loadSeconds + postLoadSeconds };
}

function formatRate(messages: number, seconds: number): string {
  return `~${Math.round(messages / Math.max(1e-9, seconds) / 1000)}K messages/s`;
}
