// The load step. Rows are generated once, chunk by chunk, and routed to "sinks": one sink per
// relation loaded (a table, or a leaf partition), each on its own connection in its own
// transaction that starts by truncating the relation and ends with the relation's progress mark.
// A relation truncated in the transaction that loads it takes COPY FREEZE (rows written frozen and
// all-visible: no hint-bit rewrite by the first reader, no VACUUM pass), and with wal_level=minimal
// its rows skip the WAL. A killed load resumes at the relations not yet marked.
//
// Passes: a pass walks one table's chunks (or the message family's: messages with their edits,
// reactions and attachments) once and feeds every sink that wants rows from them, in every variant
// loaded together (a group that fits in memory, seed.ts), so N variants cost one generation. One variant's family is walked in one pass per
// partition period, so periods load in parallel.
import { finished } from 'node:stream/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { columnValue, columnValues, rowStarts } from '../copy/rows.ts';
import { createWriter, type CopyFormat, type RowWriter } from '../copy/writer.ts';
import { connectClient, SEED_CONNECT_TIMEOUT_MS, type Target } from '../db/target.ts';
import { toDatabaseError } from '../db/sqlstate.ts';
import { InterruptedError, RuntimeError } from '../errors.ts';
import { messageTimeMs, SNOWFLAKE_EPOCH_MS, SNOWFLAKE_SEQ_BITS, type Model } from '../generate/model.ts';
import { LOAD_ORDER, MESSAGE_FAMILY, TABLES, writeMessageFamily, writeTableRows, type MessageFacts, type TableName } from '../generate/tables.ts';
import { buildPlan } from '../generate/plan.ts';
import { markLoaded } from '../schema/bookkeeping.ts';
import type { ChannelCounts } from './channel-counts.ts';
import { routeHash, routeKey, type TableLayout } from './layout.ts';
import { RangeCounts, rangeSpec, type RangeSpec } from './ranges.ts';

/** A chunk: units [from, to) of a table ("messages" stands for the message family). */
export interface Chunk {
  key: TableName;
  index: number;
  from: number;
  to: number;
}

/** One variant being loaded: where its tables' rows go, and which relations are already loaded. */
export interface LoadDesign {
  variant: string;
  schema: string;
  layouts: Map<TableName, TableLayout>;
  done: Set<string>;
}

export interface SinkPlan {
  design: number;
  table: TableName;
  leaf: number;
  relation: string;
  freeze: boolean;
  /** Chunks (of the pass's key) whose rows may land here: [chunkFrom, chunkTo). */
  chunkFrom: number;
  chunkTo: number;
}

export interface Pass {
  key: TableName;
  chunkFrom: number;
  chunkTo: number;
  sinks: SinkPlan[];
  /** Relative size, to start the largest passes first. */
  weight: number;
}

export interface SinkDone {
  variant: string;
  table: TableName;
  relation: string;
  rows: number;
  bytes: number;
  ms: number;
}

export type LoadEvent =
  | { type: 'pass'; phase: 'start' | 'end'; slot: number; key: TableName; chunkFrom: number; chunkTo: number; variants: string[]; relations: string[] }
  | { type: 'chunk'; key: TableName; rows: number; bytes: number }
  | { type: 'sink'; done: SinkDone };

const familyKey: TableName = 'messages';

function chunkCount(model: Model, key: TableName): number {
  return Math.ceil(TABLES[key].units(model) / TABLES[key].unitsPerChunk);
}

function chunkAt(model: Model, key: TableName, index: number): Chunk {
  const size = TABLES[key].unitsPerChunk;
  return { key, index, from: index * size, to: Math.min(TABLES[key].units(model), (index + 1) * size) };
}

/** The first message whose time is at or after `ms` (messages are in time order). */
function messageIndexAtTime(model: Model, ms: number): number {
  let lo = 0;
  let hi = model.params.messages;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (messageTimeMs(model, mid, { minute: -1 }) >= ms) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

const TIME_KEYS = ['created_at', 'message_created_at'];
const ID_KEYS = ['id', 'message_id'];

/**
 * Family chunks whose rows may route to a leaf, from its bounds: a message's rows all carry its time
 * (or its snowflake id, which encodes the time), so the bounds map to message indexes. Widened by a
 * millisecond on each side; the router refuses any row that still lands outside its pass.
 */
function familyLeafChunks(model: Model, layout: TableLayout, leaf: number): [number, number] {
  const n = chunkCount(model, familyKey);
  if (layout.kind !== 'routed' || layout.strategy === 'hash') return [0, n]; // every chunk feeds every hash leaf
  const name = layout.keyName ?? '';
  const toMs = (v: number): number =>
    !Number.isFinite(v) ? v
    : TIME_KEYS.includes(name) ? v / 1000 + Date.UTC(2000, 0, 1)
    : Math.floor(v / 2 ** SNOWFLAKE_SEQ_BITS) + SNOWFLAKE_EPOCH_MS;
  if (!TIME_KEYS.includes(name) && !ID_KEYS.includes(name)) return [0, n];
  const size = TABLES[familyKey].unitsPerChunk;
  const span = (from: number, to: number): [number, number] => {
    const lo = from === -Infinity ? 0 : messageIndexAtTime(model, toMs(from) - 1);
    const hi = to === Infinity ? model.params.messages : messageIndexAtTime(model, toMs(to) + 1);
    return hi <= lo ? [0, 0] : [Math.floor(lo / size), Math.ceil(hi / size)];
  };
  const l = layout.leaves[leaf];
  if (!l.isDefault) return span(l.from, l.to);
  // The default partition takes what the ranges leave uncovered.
  const ranges = layout.leaves.filter((x) => !x.isDefault).sort((a, b) => a.from - b.from);
  const gaps: Array<[number, number]> = [];
  let at = -Infinity;
  for (const r of ranges) {
    if (r.from > at) gaps.push(span(at, r.from));
    at = Math.max(at, r.to);
  }
  if (at < Infinity) gaps.push(span(at, Infinity));
  const used = gaps.filter(([a, b]) => b > a);
  return used.length ? [Math.min(...used.map((g) => g[0])), Math.max(...used.map((g) => g[1]))] : [0, 0];
}

/** Leaves one pass of several designs keeps open at once, at most (each holds a connection). */
const PASS_CONNECTIONS = 40;
/** Connections the load's passes hold at once, at most (slots are fewer when passes are wide). */
const LOAD_CONNECTIONS = 80;

/** The most sinks of `sinks` open at once (a sink is open over its chunks). */
export function openAtOnce(sinks: ReadonlyArray<Pick<SinkPlan, 'chunkFrom' | 'chunkTo'>>): number {
  let most = 0;
  for (const c of new Set(sinks.map((s) => s.chunkFrom))) most = Math.max(most, sinks.filter((s) => s.chunkFrom <= c && c < s.chunkTo).length);
  return most;
}

/**
 * The passes that load what is not loaded yet: one per small table (all variants at once), and for
 * the message family one per group of leaves with the same chunks when a single variant is loaded
 * (its partition periods, loaded in parallel), or one pass feeding every variant otherwise.
 */
export function planPasses(model: Model, designs: LoadDesign[], tables: readonly TableName[] = LOAD_ORDER): Pass[] {
  const passes: Pass[] = [];
  const expected = buildPlan(model.params, model).rows;
  const sinksOf = (table: TableName, chunks: (layout: TableLayout, leaf: number) => [number, number]): SinkPlan[] =>
    designs.flatMap((d, design) => {
      const layout = d.layouts.get(table);
      if (!layout) throw new RuntimeError(`variant ${d.variant} has no table ${table} to load`);
      return layout.leaves.flatMap((l, leaf) => {
        if (d.done.has(l.relation)) return [];
        const [chunkFrom, chunkTo] = chunks(layout, leaf);
        if (chunkTo <= chunkFrom) return [];
        return [{ design, table, leaf, relation: l.relation, freeze: layout.kind !== 'parent', chunkFrom, chunkTo }];
      });
    });
  for (const table of LOAD_ORDER.filter((t) => tables.includes(t) && !MESSAGE_FAMILY.includes(t))) {
    const n = chunkCount(model, table);
    const sinks = sinksOf(table, () => [0, n]);
    if (sinks.length) passes.push({ key: table, chunkFrom: 0, chunkTo: n, sinks, weight: expected[table] * new Set(sinks.map((s) => s.design)).size });
  }
  const family = MESSAGE_FAMILY.filter((t) => tables.includes(t)).flatMap((t) => sinksOf(t, (layout, leaf) => familyLeafChunks(model, layout, leaf)));
  if (family.length) {
    const groups = new Map<string, SinkPlan[]>();
    if (designs.length === 1) {
      for (const s of family) groups.set(`${s.chunkFrom}:${s.chunkTo}`, [...(groups.get(`${s.chunkFrom}:${s.chunkTo}`) ?? []), s]);
    } else {
      // One pass feeds designs whose leaves open at once (each a connection) stay within the budget;
      // on small data every leaf is open at once, so more designs mean more passes (generating again).
      let g = 0;
      for (let d = 0; d < designs.length; d++) {
        const own = family.filter((s) => s.design === d);
        if (!own.length) continue;
        const current = groups.get(`all:${g}`) ?? [];
        if (current.length && openAtOnce([...current, ...own]) > PASS_CONNECTIONS) g++;
        groups.set(`all:${g}`, [...(groups.get(`all:${g}`) ?? []), ...own]);
      }
    }
    const size = TABLES[familyKey].unitsPerChunk;
    const rowsPerMessage = MESSAGE_FAMILY.reduce((a, t) => a + expected[t], 0) / Math.max(1, model.params.messages);
    for (const sinks of groups.values()) {
      const chunkFrom = Math.min(...sinks.map((s) => s.chunkFrom));
      const chunkTo = Math.max(...sinks.map((s) => s.chunkTo));
      passes.push({ key: familyKey, chunkFrom, chunkTo, sinks, weight: (chunkTo - chunkFrom) * size * rowsPerMessage * new Set(sinks.map((s) => s.design)).size });
    }
  }
  return passes.sort((a, b) => b.weight - a.weight);
}

// ---------------------------------------------------------------------------------------------
// Generation

export interface Part {
  table: TableName;
  /** Rows only: no COPY header or trailer. */
  body: Buffer;
  starts: Int32Array;
}

/**
 * Rows are generated in batches of about this many bytes (a chunk is split as needed): the
 * buffers of all passes in flight stay small, whatever the table.
 */
const BATCH_BYTES = 2 * 1024 * 1024;

/** Writers for one chunk's tables; a pass keeps two sets and alternates, so buffers are reused, not collected. */
export type ChunkWriters = Partial<Record<TableName, RowWriter>>;

function chunkWriters(key: TableName, format: CopyFormat): ChunkWriters {
  if (key === familyKey) return { messages: createWriter(format, BATCH_BYTES + (BATCH_BYTES >> 2)), message_edits: createWriter(format, 1 << 16), reactions: createWriter(format, 1 << 18), attachments: createWriter(format, 1 << 17) };
  return { [key]: createWriter(format, BATCH_BYTES + (BATCH_BYTES >> 2)) };
}

/**
 * Generates one chunk: the rows of each table of its key (four for the message family). With
 * `writers`, the parts are views of their buffers, valid until those writers are used again.
 */
function generateParts(model: Model, chunk: Chunk, format: CopyFormat, only?: readonly TableName[], writers?: ChunkWriters, facts?: MessageFacts): Part[] {
  const ws = writers ?? chunkWriters(chunk.key, format);
  const out = (w: RowWriter) => (writers ? w.view() : w.take());
  const parts: Array<{ table: TableName; w: RowWriter }> = [];
  if (chunk.key === familyKey) {
    writeMessageFamily(model, ws as Record<'messages' | 'message_edits' | 'reactions' | 'attachments', RowWriter>, chunk.from, chunk.to, facts);
    for (const t of MESSAGE_FAMILY) if (!only || only.includes(t)) parts.push({ table: t, w: ws[t]! });
    // Tables not asked for were written too: drop their bytes.
    for (const t of MESSAGE_FAMILY) if (only && !only.includes(t)) out(ws[t]!);
  } else {
    writeTableRows(model, chunk.key, ws[chunk.key]!, chunk.from, chunk.to);
    parts.push({ table: chunk.key, w: ws[chunk.key]! });
  }
  return parts.map(({ table, w }) => {
    const body = out(w);
    return { table, body, starts: rowStarts(body, format) };
  });
}

/** A chunk as one framed COPY buffer per table (header, rows, trailer), for files and benchmarks. */
export function generateChunk(model: Model, chunk: Chunk, format: CopyFormat, only?: readonly TableName[]): { table: TableName; bytes: Buffer; rows: number }[] {
  const w = createWriter(format, 32);
  return generateParts(model, chunk, format, only).map((p) => ({ table: p.table, bytes: Buffer.concat([w.header(), p.body, w.trailer()]), rows: p.starts.length - 1 }));
}

// ---------------------------------------------------------------------------------------------
// Sinks

const qualified = (schema: string, rel: string) => `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(rel)}`;

/** One relation being loaded: a connection, a transaction that truncated it, and an open COPY. */
class Sink {
  rows = 0;
  bytes = 0;
  private client?: pg.Client;
  private copy?: ReturnType<typeof copyStreams.from>;
  private failure?: Error;
  private readonly t0 = performance.now();
  readonly counts: RangeCounts;

  constructor(
    readonly plan: SinkPlan,
    readonly design: LoadDesign,
    readonly spec: RangeSpec,
    private readonly format: CopyFormat,
    private readonly marks: boolean,
  ) {
    this.counts = new RangeCounts(spec);
  }

  get name(): string {
    return `${this.design.variant}/${this.plan.relation}`;
  }

  async open(pool: Connections): Promise<void> {
    const rel = qualified(this.design.schema, this.plan.relation);
    try {
      this.client = await pool.take();
      await this.client.query('BEGIN');
      // In the loading transaction: a new relation file that COPY FREEZE may fill and, at wal_level=minimal, that skips the WAL.
      await this.client.query(`TRUNCATE ${rel}`);
      const opts = [this.format === 'binary' ? 'FORMAT binary' : '', this.plan.freeze ? 'FREEZE' : ''].filter(Boolean);
      const sql = `COPY ${rel} (${TABLES[this.plan.table].columns.join(', ')}) FROM STDIN${opts.length ? ` (${opts.join(', ')})` : ''}`;
      this.copy = this.client.query(copyStreams.from(sql));
      this.copy.on('error', (e: Error) => (this.failure ??= e));
      // Waits for the server's CopyInResponse (until then the stream holds what it is given).
      if (this.format === 'binary') await handOver(this.copy, createWriter('binary', 32).header());
    } catch (e) {
      throw toDatabaseError(e, `loading ${this.name}`);
    }
  }

  /**
   * Hands bytes to the COPY; resolves once they are in the connection's socket (a COPY stream
   * accepts bytes before the server is ready, or behind a write still draining, and holds them).
   */
  async write(buf: Buffer): Promise<void> {
    if (this.failure) throw toDatabaseError(this.failure, `loading ${this.name}`);
    this.bytes += buf.length;
    await handOver(this.copy!, buf);
    if (this.failure) throw toDatabaseError(this.failure, `loading ${this.name}`);
  }

  /**
   * Resolves once the socket has sent every byte handed to it so far: a write is accepted while
   * its buffer may still sit in the socket's queue, and the buffer must not be reused before.
   * Call it after the COPY stream accepted the writes (its own queue then sits in the socket's).
   */
  sent(): Promise<void> {
    const socket = (this.client as unknown as { connection?: { stream?: NodeJS.WritableStream & { writableLength?: number } } } | undefined)?.connection?.stream;
    if (!socket || !socket.writableLength) return Promise.resolve();
    return new Promise<void>((res) => socket.write(Buffer.alloc(0), () => res()));
  }

  /** Ends the COPY, records the relation's marks and counts, commits. */
  async commit(): Promise<SinkDone> {
    try {
      if (this.format === 'binary') this.copy!.write(createWriter('binary', 32).trailer());
      this.copy!.end();
      await finished(this.copy!);
      if (this.marks) {
        await markLoaded(this.client!, { variant: this.design.variant, relation: this.plan.relation, table: this.plan.table, rows: this.rows, bytes: this.bytes, ranges: this.counts.entries() });
      }
      await this.client!.query('COMMIT');
      this.pool?.give(this.client!);
      this.client = undefined;
    } catch (e) {
      throw toDatabaseError(this.failure ?? e, `loading ${this.name}`);
    } finally {
      await this.close();
    }
    return { variant: this.design.variant, table: this.plan.table, relation: this.plan.relation, rows: this.rows, bytes: this.bytes, ms: performance.now() - this.t0 };
  }

  pool?: Connections;

  /** Drops the connection: the server rolls the transaction (and the truncate) back. */
  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) await c.end().catch(() => {});
  }
}

/** Writes to a COPY stream and resolves when its write callback runs (the bytes went to the socket), or on its error. */
function handOver(copy: ReturnType<typeof copyStreams.from>, buf: Buffer): Promise<void> {
  return new Promise<void>((res) => {
    const done = () => {
      copy.off('error', done);
      res();
    };
    copy.on('error', done);
    copy.write(buf, done);
  });
}

// ---------------------------------------------------------------------------------------------
// Running passes

export interface LoadOptions {
  target: Target;
  model: Model;
  designs: LoadDesign[];
  passes: Pass[];
  /** Passes run at once: more than the cores, so the CPU stays busy while one pass waits on a commit or a single big table. */
  slots: number;
  format: CopyFormat;
  signal: AbortSignal;
  onEvent: (e: LoadEvent) => void;
  /** Record progress marks and counts (false for benchmarks in scratch schemas). */
  marks?: boolean;
  /**
   * Counts the channels' messages as they are routed to this design's leaves (every row once):
   * complete when the load ends without failure and the design had no messages leaf loaded before.
   */
  channelCounts?: { design: number; counts: ChannelCounts };
}

/** Runs the passes on `slots` slots, largest first. Stops at the first failure or on abort; loaded relations stay loaded. */
export async function runPasses(opts: LoadOptions): Promise<SinkDone[]> {
  const done: SinkDone[] = [];
  let next = 0;
  let failure: unknown;
  const pool = new Connections(opts.target);
  const slot = async (k: number) => {
    while (!failure && !opts.signal.aborted && next < opts.passes.length) {
      const pass = opts.passes[next++];
      try {
        done.push(...(await runPass(opts, pass, k, pool)));
      } catch (e) {
        failure ??= e;
      }
    }
  };
  // Wide passes (every leaf of small data open at once) run fewer at a time, within the server's connections.
  const widest = Math.max(1, ...opts.passes.map((p) => openAtOnce(p.sinks)));
  const slots = Math.max(1, Math.min(opts.slots, opts.passes.length, Math.floor(LOAD_CONNECTIONS / widest)));
  await Promise.all(Array.from({ length: slots }, (_, k) => slot(k))).finally(() => pool.close());
  if (failure) throw failure;
  if (opts.signal.aborted && next <= opts.passes.length && done.length < opts.passes.reduce((a, p) => a + p.sinks.length, 0)) {
    throw new InterruptedError('seed interrupted: run the same command again to resume from the loaded relations');
  }
  return done;
}

/** Connections a load reuses from one relation to the next (each opening costs an authentication). */
class Connections {
  private readonly idle: pg.Client[] = [];
  constructor(private readonly target: Target) {}
  async take(): Promise<pg.Client> {
    const c = this.idle.pop();
    if (c) return c;
    const client = await connectClient(this.target, { applicationName: 'chatbench seed load', connectTimeoutMs: SEED_CONNECT_TIMEOUT_MS });
    // A relation lost in a crash loses its mark with it and is loaded again: no need to wait for the WAL flush.
    await client.query('SET synchronous_commit = off');
    return client;
  }
  give(c: pg.Client): void {
    this.idle.push(c);
  }
  async close(): Promise<void> {
    await Promise.all(this.idle.splice(0).map((c) => c.end().catch(() => {})));
  }
}

async function runPass(opts: LoadOptions, pass: Pass, slot: number, pool: Connections): Promise<SinkDone[]> {
  const { model, format } = opts;
  const specs = new Map<TableName, RangeSpec>();
  const specOf = (t: TableName) => specs.get(t) ?? specs.set(t, rangeSpec(model, t)).get(t)!;
  const open = new Map<string, Sink>();
  const commits: Array<Promise<SinkDone>> = [];
  const tables = [...new Set(pass.sinks.map((s) => s.table))];
  const designsOf = new Map(tables.map((t) => [t, [...new Set(pass.sinks.filter((s) => s.table === t).map((s) => s.design))]]));
  opts.onEvent({ type: 'pass', phase: 'start', slot, key: pass.key, chunkFrom: pass.chunkFrom, chunkTo: pass.chunkTo, variants: [...new Set(pass.sinks.map((s) => opts.designs[s.design].variant))], relations: pass.sinks.map((s) => s.relation) });
  let pending: Promise<unknown> = Promise.resolve();
  let sentBefore: Promise<unknown> = Promise.resolve();
  const writerSets = [chunkWriters(pass.key, format), chunkWriters(pass.key, format)];
  // The channel counts, where this pass feeds the counting design's messages: the facts are filled
  // by each batch's generation and read while routing it (a batch is at most a chunk).
  const cc = opts.channelCounts;
  const counting = cc && pass.key === familyKey && pass.sinks.some((s) => s.table === 'messages' && s.design === cc.design) ? { ...cc, facts: { channel: new Int32Array(TABLES[familyKey].unitsPerChunk), id: new Float64Array(TABLES[familyKey].unitsPerChunk) } satisfies MessageFacts } : undefined;
  let batch = 0;
  let batchUnits = Math.min(TABLES[pass.key].unitsPerChunk, 2048);
  try {
    for (let c = pass.chunkFrom; c < pass.chunkTo; c++) {
      if (opts.signal.aborted) throw new InterruptedError('seed interrupted: run the same command again to resume from the loaded relations');
      // Open the sinks this chunk starts feeding.
      const starting = pass.sinks.filter((s) => s.chunkFrom === c || (c === pass.chunkFrom && s.chunkFrom < c));
      for (const s of starting) {
        const sink = new Sink(s, opts.designs[s.design], specOf(s.table), format, opts.marks !== false);
        sink.pool = pool;
        open.set(`${s.design}:${s.table}:${s.leaf}`, sink);
        await sink.open(pool);
      }
      const chunk = chunkAt(model, pass.key, c);
      for (let from = chunk.from; from < chunk.to; batch++) {
        // One turn of the event loop per batch. When the sockets take every write at once (the
        // server keeps up with the generator), this loop would otherwise run on resolved promises
        // alone, for minutes at 100M: no timer fired (the progress line) and no other socket was
        // read, so a connection opened for the next relation timed out in its authentication.
        await nextTurn();
        const to = Math.min(chunk.to, from + batchUnits);
        // Writer set batch % 2 last held batch - 2: its bytes must have left every socket first.
        await sentBefore;
        const parts = generateParts(model, { ...chunk, from, to }, format, tables, writerSets[batch % 2], counting?.facts);
        const generated = parts.reduce((a, p) => a + p.body.length, 0);
        batchUnits = Math.max(256, Math.min(TABLES[pass.key].unitsPerChunk, Math.round((BATCH_BYTES * (to - from)) / Math.max(1, generated))));
        from = to;
        await pending; // the previous batch's writes, overlapped with this batch's generation
        sentBefore = Promise.all([...open.values()].map((sink) => sink.sent()));
        const writes: Array<Promise<void>> = [];
        let rows = 0;
        let bytes = 0;
        for (const part of parts) {
          const n = part.starts.length - 1;
          if (n === 0) continue;
          const verifyKeys = columnValues(part.body, format, part.starts, specOf(part.table).column, 'int');
          const keyCache = new Map<string, Float64Array>();
          for (const d of designsOf.get(part.table) ?? []) {
            const design = opts.designs[d];
            const layout = design.layouts.get(part.table)!;
            // Rows by leaf: one run each for range partitions (rows come in key order), scattered
            // runs for hash partitions, gathered into one write per leaf.
            const byLeaf = new Map<number, Array<[number, number]>>();
            for (const [leaf, r0, r1] of routeRows(layout, part, format, keyCache)) {
              const list = byLeaf.get(leaf);
              if (list) list.push([r0, r1]);
              else byLeaf.set(leaf, [[r0, r1]]);
            }
            for (const [leaf, runs] of byLeaf) {
              const key = `${d}:${part.table}:${leaf}`;
              const sink = open.get(key);
              const count = runs.reduce((a, [r0, r1]) => a + r1 - r0, 0);
              if (!sink) {
                if (leaf >= 0 && skipElsewhere(opts, pass, design, d, part.table, leaf, c)) continue;
                const relation = leaf >= 0 ? layout.leaves[leaf].relation : 'no partition';
                throw new RuntimeError(`${design.variant}: ${count} ${part.table} row(s) of chunk ${c} go to ${relation}, which this load did not plan for: the table's partitions do not cover the data`);
              }
              sink.rows += count;
              for (const [r0, r1] of runs) sink.counts.add(verifyKeys, r0, r1);
              if (counting && part.table === 'messages' && d === counting.design) for (const [r0, r1] of runs) counting.counts.add(counting.facts, r0, r1);
              const slices = runs.map(([r0, r1]) => part.body.subarray(part.starts[r0], part.starts[r1]));
              const slice = slices.length === 1 ? slices[0] : Buffer.concat(slices);
              rows += count;
              bytes += slice.length;
              writes.push(sink.write(slice));
            }
          }
        }
        pending = Promise.all(writes);
        // Awaited at the next batch, after a turn of the event loop: until then a failure (a server
        // that crashed: EPIPE) must not count as an unhandled rejection, which would end the process.
        pending.catch(() => {});
        opts.onEvent({ type: 'chunk', key: pass.key, rows, bytes });
      }
      // Close the sinks this chunk was the last for.
      const ending = [...open.entries()].filter(([, s]) => s.plan.chunkTo === c + 1);
      if (ending.length) {
        await pending;
        for (const [k, s] of ending) {
          open.delete(k);
          commits.push(settleLater(s.commit().then((d) => (opts.onEvent({ type: 'sink', done: d }), d))));
        }
      }
    }
    await pending;
    for (const [k, s] of open) {
      open.delete(k);
      commits.push(settleLater(s.commit().then((d) => (opts.onEvent({ type: 'sink', done: d }), d))));
    }
    const done = await Promise.all(commits);
    opts.onEvent({ type: 'pass', phase: 'end', slot, key: pass.key, chunkFrom: pass.chunkFrom, chunkTo: pass.chunkTo, variants: [], relations: done.map((d) => d.relation) });
    return done;
  } catch (e) {
    await Promise.allSettled([pending, ...commits]);
    await Promise.all([...open.values()].map((s) => s.close()));
    throw e;
  }
}

/** A promise awaited later (with the others, at the end of the pass): its failure is not unhandled meanwhile. */
function settleLater<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

/** Rows for a relation this pass does not load: loaded before a resume, or by the pass of the next period. */
function skipElsewhere(opts: LoadOptions, pass: Pass, design: LoadDesign, d: number, table: TableName, leaf: number, chunk: number): boolean {
  if (design.done.has(design.layouts.get(table)!.leaves[leaf].relation)) return true;
  return opts.passes.some((p) => p !== pass && p.sinks.some((s) => s.design === d && s.table === table && s.leaf === leaf && chunk >= s.chunkFrom && chunk < s.chunkTo));
}

/** Splits a part's rows into runs going to one leaf each: [leaf, firstRow, endRow]. */
function routeRows(layout: TableLayout, part: Part, format: CopyFormat, cache: Map<string, Float64Array>): Array<[number, number, number]> {
  const n = part.starts.length - 1;
  if (layout.kind !== 'routed') return [[0, 0, n]];
  if (layout.strategy !== 'hash' && TIME_KEYS.includes(layout.keyName ?? '') && n > 0) {
    // Time keys grow with the row order (messages are generated in time order, their children with
    // them): when the first and last rows go to one leaf, so do all the rows between.
    const first = routeKey(layout.leaves, columnValue(part.body, format, part.starts[0], layout.keyColumn!, layout.keyKind!));
    const last = routeKey(layout.leaves, columnValue(part.body, format, part.starts[n - 1], layout.keyColumn!, layout.keyKind!), first);
    if (first === last && !layout.leaves[first]?.isDefault) return [[first, 0, n]];
  }
  const ck = `${layout.keyColumn}:${layout.keyKind}`;
  const keys = cache.get(ck) ?? cache.set(ck, columnValues(part.body, format, part.starts, layout.keyColumn!, layout.keyKind!)).get(ck)!;
  const runs: Array<[number, number, number]> = [];
  let hint = -1;
  const hashed = layout.strategy === 'hash' ? new Int32Array(n) : undefined;
  if (hashed) routeHash(layout.leaves, keys, 0, n, hashed);
  for (let r = 0; r < n; r++) {
    const leaf = hashed ? hashed[r] : routeKey(layout.leaves, keys[r], hint);
    hint = leaf;
    const last = runs[runs.length - 1];
    if (last && last[0] === leaf) last[2] = r + 1;
    else runs.push([leaf, r, r + 1]);
  }
  return runs;
}

