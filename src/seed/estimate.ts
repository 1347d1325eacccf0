// The dry-run plan: rows per table, estimated bytes on disk (heap and each index), and time from a
// short calibration: a sample generated here, and COPYed into the variant built in a transaction
// that is rolled back (nothing is kept).
import fs from 'node:fs';
import type pg from 'pg';
import { createWriter } from '../copy/writer.ts';
import type { Model } from '../generate/model.ts';
import type { DataPlan } from '../generate/plan.ts';
import { MESSAGE_FAMILY, TABLES, writeMessageFamily, writeTableRows, type TableName } from '../generate/tables.ts';
import { applyScratch } from '../schema/apply.ts';
import { splitStatements } from '../schema/split.ts';
import type { Variant } from '../schema/variants.ts';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import copyStreams from 'pg-copy-streams';
import { memoryGroups } from './choose.ts';
import { indexKind, parseIndexDefinition, type IndexDefinition, type IndexKind } from './index-kind.ts';
import { generateChunk, type Chunk } from './load.ts';
import { REFERENCE, timeModel, type TimeModel } from './seed-time.ts';

export interface TableEstimate {
  table: TableName;
  rows: number;
  exact: boolean;
  heapBytes: number;
  indexes: Record<string, number>;
  /** What each index of `indexes` is, from the design's SQL (how its build is costed). */
  indexKinds: Record<string, IndexKind>;
}

export interface VariantEstimate {
  variant: string;
  tables: TableEstimate[];
  totalBytes: number;
}

/** The dry-run's answer: sizes, time by step, disk and memory. */
export interface SeedEstimate {
  variants: VariantEstimate[];
  time: TimeModel;
  /** The variants' bytes plus 10% (bloat, temporary sort files) and the space ANALYZE and the bookkeeping take. */
  diskBytes: number;
  memory: { clientBytes: number; serverBytes: number; detail: string };
  /** This server against the reference machine (1 = as fast), and how it was found. */
  speed: number;
  speedNote: string;
  /** Memory left to the page cache: on the embedded server the variants are seeded in groups that fit in it (time.groups). */
  cacheBytes: number;
}

export interface Calibration {
  /** Heap bytes per row by table (binary COPY widths plus tuple overhead). */
  rowBytes: Record<string, number>;
  /** Average content bytes per message (for the full-text index). */
  contentBytes: number;
  generatorRowsPerSec: number;
  /** Server ingest of the message family into each variant (rows/s), if a server was reachable. */
  serverRowsPerSec: Record<string, number>;
}

const SAMPLE_MESSAGES = 20_000;
const SAMPLE_UNITS = 5_000;

/** Messages in a calibration sample: 20K, or a fiftieth of a small seed (at least 2K). */
function sampleMessages(model: Model): number {
  return Math.min(SAMPLE_MESSAGES, model.params.messages, Math.max(2_000, Math.round(model.params.messages / 50)));
}

/** Generates samples of every table here, to learn row widths and the generator's speed. */
export function calibrateGenerator(model: Model): Omit<Calibration, 'serverRowsPerSec'> {
  const rowBytes: Record<string, number> = {};
  const sample = sampleMessages(model);
  const from = Math.max(0, Math.floor(model.params.messages / 2) - sample / 2);
  const to = Math.min(model.params.messages, from + sample);
  const ws = { messages: createWriter('binary'), message_edits: createWriter('binary'), reactions: createWriter('binary'), attachments: createWriter('binary') };
  // A first pass warms the JIT up; the second is timed.
  writeMessageFamily(model, ws, from, to);
  for (const w of Object.values(ws)) w.take();
  const t0 = performance.now();
  const rows = writeMessageFamily(model, ws, from, to);
  const generatorRowsPerSec = (to - from) / ((performance.now() - t0) / 1000);
  for (const t of MESSAGE_FAMILY) rowBytes[t] = heapRowBytes(ws[t as keyof typeof ws].take().length, rows[t as keyof typeof rows], TABLES[t].columns.length);
  for (const spec of Object.values(TABLES)) {
    if (MESSAGE_FAMILY.includes(spec.name)) continue;
    const w = createWriter('binary');
    const units = Math.min(SAMPLE_UNITS, Math.max(1, Math.round(sample / 4)), spec.units(model));
    const n = writeTableRows(model, spec.name, w, 0, units);
    rowBytes[spec.name] = heapRowBytes(w.take().length, n, spec.columns.length);
  }
  const text = createWriter('text');
  writeMessageFamily(model, { messages: text, message_edits: createWriter('text'), reactions: createWriter('text'), attachments: createWriter('text') }, from, Math.min(to, from + 2000));
  const contentBytes = Math.max(1, text.take().length / Math.max(1, Math.min(to, from + 2000) - from) - 90);
  return { rowBytes, contentBytes, generatorRowsPerSec };
}

/** Binary COPY bytes are close to on-disk widths; add the tuple header and line pointer, drop COPY's framing. */
function heapRowBytes(copyBytes: number, rows: number, fields: number): number {
  if (rows === 0) return 0;
  const perRow = copyBytes / rows - 2 - 4 * fields + fields; // field count and length words out, varlena headers in
  return Math.ceil((perRow + 24 + 4 + 4) / 8) * 8;
}

/**
 * COPYs a sample message-family chunk into the variant built in a rolled-back transaction: the
 * best of three passes, so a moment of contention on a shared machine does not pass for its speed.
 */
export async function calibrateServer(client: pg.Client, variant: Variant, model: Model, plan: DataPlan): Promise<number> {
  await client.query('BEGIN');
  try {
    // The load phase's schema: tables without keys, as the seeder loads them.
    await applyScratch(client, variant, `chatbench_estimate_${process.pid}`, { fromMs: plan.startMs, toMs: plan.endMs }, ['pre-load']);
    const from = Math.floor(model.params.messages / 2);
    const chunk: Chunk = { key: 'messages', index: 0, from, to: Math.min(model.params.messages, from + sampleMessages(model)) };
    const parts = generateChunk(model, chunk, 'binary');
    let best = 0;
    for (let pass = 0; pass < 3; pass++) {
      const t0 = performance.now();
      for (const part of parts) {
        const sql = `COPY ${part.table} (${TABLES[part.table].columns.join(', ')}) FROM STDIN (FORMAT binary)`;
        await pipeline(Readable.from([part.bytes]), client.query(copyStreams.from(sql)));
      }
      best = Math.max(best, (chunk.to - chunk.from) / ((performance.now() - t0) / 1000));
    }
    return best;
  } finally {
    await client.query('ROLLBACK');
  }
}

/** Index sizes: B-tree entries are key + 8-byte header + 4-byte pointer at 90% fill; BRIN is tiny; GIN follows its content. */
function indexEstimates(variant: Variant, rows: Record<TableName, number>, rowBytes: Record<string, number>, contentBytes: number): Record<TableName, Record<string, number>> {
  const btree = (n: number, keyBytes: number) => Math.ceil((n * (8 + Math.ceil(keyBytes / 8) * 8 + 4)) / 0.9 * 1.02);
  const m = rows.messages;
  const out = {} as Record<TableName, Record<string, number>>;
  const add = (t: TableName, name: string, bytes: number) => ((out[t] ??= {})[name] = Math.max(8192, Math.round(bytes)));
  for (const t of Object.keys(rows) as TableName[]) out[t] = {};
  add('messages', 'messages_pkey', btree(m, 16));
  if (variant.indexes === 'partial-covering') {
    // Measured on 500K messages against btree-unpartitioned's (channel_id, id) (2026-12-01): channel_id
    // alone, deduplicated, 0.23x; the live rows' partial index 0.99x; the history index, partial and
    // covering five more columns, 2.1x.
    add('messages', 'messages_channel_id_idx', btree(m, 16) * 0.23);
    add('messages', 'messages_channel_live_idx', btree(m, 16) * 0.99);
    add('messages', 'messages_channel_history_idx', btree(m, 16) * 2.1);
  } else {
    add('messages', 'messages_channel_id_idx', btree(m, 16));
  }
  add('messages', 'messages_author_id_idx', btree(m, 8) * 0.45); // deduplication: few distinct authors
  add('messages', 'messages_thread_id_idx', btree(m * 0.03, 16));
  add('messages', 'messages_mentions_idx', m * 0.08 * 24);
  const heapPages = (m * (rowBytes.messages ?? 150)) / 8192;
  add('messages', 'messages_created_at_idx', variant.timeIndex === 'brin' ? (heapPages / 32) * 32 + 24576 : btree(m, 8));
  if (variant.features.fullTextSearch) add('messages', 'messages_content_fts_idx', m * contentBytes * 0.8);
  add('reactions', 'reactions_pkey', btree(rows.reactions, 32));
  add('reactions', 'reactions_user_id_idx', btree(rows.reactions, 8) * 0.5);
  add('attachments', 'attachments_pkey', btree(rows.attachments, 24));
  add('attachments', 'attachments_message_id_idx', btree(rows.attachments, 16));
  add('message_edits', 'message_edits_pkey', btree(rows.message_edits, 24));
  add('users', 'users_pkey', btree(rows.users, 8));
  add('users', 'users_username_lower_key', btree(rows.users, 24));
  add('users', 'users_email_lower_key', btree(rows.users, 40));
  add('server_members', 'server_members_pkey', btree(rows.server_members, 16));
  add('server_members', 'server_members_user_id_idx', btree(rows.server_members, 8));
  add('read_states', 'read_states_pkey', btree(rows.read_states, 16));
  add('read_states', 'read_states_channel_id_idx', btree(rows.read_states, 8) * 0.5);
  add('friendships', 'friendships_pkey', btree(rows.friendships, 16));
  add('friendships', 'friendships_user_high_idx', btree(rows.friendships, 8));
  add('channels', 'channels_pkey', btree(rows.channels, 8));
  add('member_roles', 'member_roles_pkey', btree(rows.member_roles, 24));
  add('dm_participants', 'dm_participants_pkey', btree(rows.dm_participants, 16));
  return out;
}

/** The indexes a design's post-load migrations create (indexes and primary or unique keys), by name. */
export function designIndexes(variant: Variant): Map<string, IndexDefinition> {
  const out = new Map<string, IndexDefinition>();
  for (const m of variant.migrations.filter((x) => x.phase === 'post-load')) {
    for (const st of splitStatements(m.up)) {
      const def = parseIndexDefinition(st.sql);
      if (def) out.set(def.name, def);
    }
  }
  return out;
}

export function estimateVariant(variant: Variant, plan: DataPlan, cal: Pick<Calibration, 'rowBytes' | 'contentBytes'>): VariantEstimate {
  const idx = indexEstimates(variant, plan.rows, cal.rowBytes, cal.contentBytes);
  const defs = designIndexes(variant);
  // An index sized here that the design does not define (a design from elsewhere that renamed it) is costed as a B-tree.
  const kinds = (t: TableName) => Object.fromEntries(Object.keys(idx[t] ?? {}).map((name) => [name, defs.has(name) ? indexKind(defs.get(name)!) : 'btree'])) as Record<string, IndexKind>;
  const tables: TableEstimate[] = (Object.keys(plan.rows) as TableName[]).map((t) => ({
    table: t,
    rows: plan.rows[t],
    exact: plan.exact.includes(t),
    heapBytes: Math.round(plan.rows[t] * (cal.rowBytes[t] ?? 64) * 1.02),
    indexes: idx[t] ?? {},
    indexKinds: kinds(t),
  }));
  const totalBytes = tables.reduce((a, t) => a + t.heapBytes + Object.values(t.indexes).reduce((x, y) => x + y, 0), 0);
  return { variant: variant.name, tables, totalBytes };
}

export interface MachineForEstimate {
  cores: number;
  memBytes: number;
  sharedBuffersBytes: number;
  maintenanceWorkMemBytes: number;
}

/** Leaf partitions of the messages table a variant gets over the plan's time range. */
export function messageLeaves(variant: Variant, plan: Pick<DataPlan, 'startMs' | 'endMs'>): number {
  if (!variant.partitioning) return 1;
  if (!('unit' in variant.partitioning)) return variant.partitioning.partitions; // hash partitions by channel
  const day = 86_400_000;
  const span = (plan.endMs - plan.startMs) / day;
  return Math.max(1, Math.ceil(span / (variant.partitioning.unit === 'week' ? 7 : 30.44)) + 1);
}

/**
 * Sizes and time of seeding `variants` with `plan`: the time model of seed-time.ts, scaled by the
 * server calibration (the sample COPY) against the reference machine when there is one. With
 * `groupByMemory`, the variants go in groups that fit in the page cache (memoryGroups).
 */
export function estimateSeed(variants: Variant[], plan: DataPlan, cal: Calibration, machine: MachineForEstimate, opts: { jobs: number; verify: 'full' | 'sample' | 'none'; groupByMemory?: boolean }): SeedEstimate {
  const sizes = variants.map((v) => estimateVariant(v, plan, cal));
  const measured = variants.map((v) => cal.serverRowsPerSec[v.name]).filter((x): x is number => x !== undefined && x > 0);
  const speed = measured.length ? Math.min(3, Math.max(0.2, measured.reduce((a, b) => a + b, 0) / measured.length / REFERENCE.serverMessagesPerSec)) : 1;
  const speedNote = measured.length
    ? `this server copied the sample at ${Math.round((speed * 100))}% of the reference machine's speed`
    : 'no server to calibrate against: the reference machine\'s speed is assumed';
  const cacheBytes = pageCacheBytes(machine, opts.jobs);
  // Groups only where the memory is known to be the server's (the embedded server, on this machine).
  const groups = opts.groupByMemory ? memoryGroups(sizes.map((e) => e.totalBytes), cacheBytes) : [sizes.map((_, i) => i)];
  const time = timeModel({
    messages: plan.messages,
    rows: plan.rows,
    variants: sizes.map((e, i) => ({
      name: e.variant,
      heapBytes: e.tables.reduce((a, t) => a + t.heapBytes, 0),
      indexes: e.tables.flatMap((t) => Object.entries(t.indexes).map(([name, bytes]) => ({ name, table: t.table, bytes, kind: t.indexKinds[name] }))),
      messageLeaves: messageLeaves(variants[i], plan),
    })),
    jobs: opts.jobs,
    cores: machine.cores,
    cacheBytes,
    groups,
    speed,
    verify: opts.verify,
  });
  const totalBytes = sizes.reduce((a, e) => a + e.totalBytes, 0);
  // The model's arrays grow with users and channels, and so do the channel counts held through the
  // load (12 bytes a channel); the rest of the process stays near 200 MB (docs/PERFORMANCE.md, Memory).
  const clientBytes = 200 * 1024 ** 2 + plan.users * 60 + plan.rows.channels * (40 + 12);
  const serverBytes = machine.sharedBuffersBytes + opts.jobs * machine.maintenanceWorkMemBytes;
  return {
    variants: sizes,
    time,
    diskBytes: Math.round(totalBytes * 1.1),
    memory: { clientBytes, serverBytes, detail: `chatbench about ${Math.round(clientBytes / 1024 ** 2)} MB; the server shared_buffers plus maintenance_work_mem on each of ${opts.jobs} connection(s)` },
    speed,
    speedNote,
    cacheBytes,
  };
}

/** Memory left to the page cache: RAM less shared_buffers, maintenance_work_mem on each connection and 2 GB for the processes. */
export function pageCacheBytes(machine: MachineForEstimate, jobs: number): number {
  return Math.max(1e9, machine.memBytes - machine.sharedBuffersBytes - jobs * machine.maintenanceWorkMemBytes - 2 * 1024 ** 3);
}

/** Free bytes on the filesystem holding `dir`, when it can be known. */
export function freeBytes(dir: string): number | undefined {
  try {
    const s = fs.statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}
