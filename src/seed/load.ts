// The load step: chunks of rows generated (generator -> encoder) and streamed through COPY on J
// connections, each chunk in its own transaction together with its progress mark, so a killed
// load resumes exactly where its committed chunks end.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { copySql, createWriter, type CopyFormat, type RowWriter } from '../copy/writer.ts';
import { connectClient, type Target } from '../db/target.ts';
import { toDatabaseError } from '../db/sqlstate.ts';
import { InterruptedError } from '../errors.ts';
import type { Model } from '../generate/model.ts';
import { LOAD_ORDER, MESSAGE_FAMILY, TABLES, writeMessageFamily, writeTableRows, type TableName } from '../generate/tables.ts';
import { META_SCHEMA } from '../schema/meta.ts';

export interface Chunk {
  /** The table, or "messages" for a chunk of the message family (messages and their children). */
  key: TableName;
  index: number;
  from: number;
  to: number;
}

export interface ChunkDone {
  chunk: Chunk;
  rows: Partial<Record<TableName, number>>;
  bytes: number;
  ms: number;
}

/** Every chunk of a data set, parents first; the message family last. */
export function planChunks(model: Model, unitsPerChunk: Partial<Record<TableName, number>> = {}): Chunk[] {
  const chunks: Chunk[] = [];
  for (const name of LOAD_ORDER) {
    if (MESSAGE_FAMILY.includes(name) && name !== 'messages') continue;
    const spec = TABLES[name];
    const units = spec.units(model);
    const size = unitsPerChunk[name] ?? spec.unitsPerChunk;
    for (let index = 0, from = 0; from < units; index++, from += size) {
      chunks.push({ key: name, index, from, to: Math.min(units, from + size) });
    }
  }
  return chunks;
}

/** Generates a chunk's rows: one buffer per table (four for a message-family chunk, or those in `only`). */
export function generateChunk(model: Model, chunk: Chunk, format: CopyFormat, only?: readonly TableName[]): { table: TableName; bytes: Buffer; rows: number }[] {
  if (chunk.key === 'messages') {
    const ws = {
      messages: framedWriter(format, 1 << 22),
      message_edits: framedWriter(format, 1 << 17),
      reactions: framedWriter(format, 1 << 19),
      attachments: framedWriter(format, 1 << 18),
    };
    const rows = writeMessageFamily(model, ws, chunk.from, chunk.to);
    return MESSAGE_FAMILY.filter((t) => !only || only.includes(t)).map((t) => ({ table: t, bytes: finish(ws[t as keyof typeof ws]), rows: rows[t as keyof typeof rows] }));
  }
  const w = framedWriter(format, 1 << 20);
  const rows = writeTableRows(model, chunk.key, w, chunk.from, chunk.to);
  return [{ table: chunk.key, bytes: finish(w), rows }];
}

/** A writer that already holds the format's header, so the chunk is one buffer, never copied again. */
function framedWriter(format: CopyFormat, initialBytes: number): RowWriter {
  const w = createWriter(format, initialBytes);
  w.raw(w.header());
  return w;
}

function finish(w: RowWriter): Buffer {
  w.raw(w.trailer());
  return w.take();
}

/** Slices a buffer so COPY streams it with backpressure instead of one giant write. */
function* slices(buf: Buffer, size = 256 * 1024): Generator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, Math.min(buf.length, i + size));
}

/**
 * COPYs one chunk and records its progress mark, in one transaction (or inside the caller's, for
 * the dry-run calibration, which marks into a temporary table and rolls everything back).
 */
export async function copyChunk(
  client: pg.Client,
  variant: string,
  model: Model,
  chunk: Chunk,
  format: CopyFormat,
  opts: { inTransaction?: boolean; marksTable?: string; only?: readonly TableName[] } = {},
): Promise<ChunkDone> {
  const t0 = performance.now();
  const parts = generateChunk(model, chunk, format, opts.only);
  const rows: Partial<Record<TableName, number>> = {};
  let bytes = 0;
  if (!opts.inTransaction) await client.query('BEGIN');
  try {
    for (const part of parts) {
      rows[part.table] = part.rows;
      bytes += part.bytes.length;
      if (part.rows === 0) continue;
      const stream = client.query(copyStreams.from(copySql(part.table, TABLES[part.table].columns, format)));
      await pipeline(Readable.from(slices(part.bytes)), stream);
    }
    const marks = parts.map((p, i) => `($1, $${i * 3 + 2}, $${i * 3 + 3}, $${i * 3 + 4}, ${p.bytes.length})`);
    await client.query(
      `INSERT INTO ${opts.marksTable ?? `${META_SCHEMA}.seed_chunks`} (variant, table_name, chunk, row_count, bytes) VALUES ${marks.join(', ')}`,
      [variant, ...parts.flatMap((p) => [p.table, chunk.index, p.rows])],
    );
    if (!opts.inTransaction) await client.query('COMMIT');
  } catch (e) {
    if (!opts.inTransaction) await client.query('ROLLBACK').catch(() => {});
    throw toDatabaseError(e, `loading ${chunk.key} chunk ${chunk.index} (rows ${chunk.from}-${chunk.to - 1})`);
  }
  return { chunk, rows, bytes, ms: performance.now() - t0 };
}

/**
 * Crash recovery empties UNLOGGED tables (presence, typing) while their chunk marks, which are
 * logged, survive: such a table whose rows no longer match its marks is emptied and its marks
 * forgotten, so the resumed load writes it again. Returns the tables reset.
 */
export async function resetCrashedUnlogged(client: pg.ClientBase, variant: string, schema: string): Promise<string[]> {
  const r = await client.query<{ table_name: string; marked: string }>(
    `SELECT m.table_name, sum(m.row_count)::text AS marked
       FROM ${META_SCHEMA}.seed_chunks m
       JOIN pg_class c ON c.relname = m.table_name AND c.relnamespace = to_regnamespace($2) AND c.relpersistence = 'u'
      WHERE m.variant = $1
      GROUP BY m.table_name`,
    [variant, schema],
  );
  const reset: string[] = [];
  for (const row of r.rows) {
    const table = `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(row.table_name)}`;
    const n = (await client.query(`SELECT count(*)::text AS n FROM ${table}`)).rows[0].n as string;
    if (n === row.marked) continue;
    await client.query(`TRUNCATE ${table}`);
    await client.query(`DELETE FROM ${META_SCHEMA}.seed_chunks WHERE variant = $1 AND table_name = $2`, [variant, row.table_name]);
    reset.push(row.table_name);
  }
  return reset;
}

/** Chunk keys (table:index) already committed for a variant. */
export async function committedChunks(client: pg.ClientBase, variant: string): Promise<Set<string>> {
  const r = await client.query(`SELECT DISTINCT table_name, chunk FROM ${META_SCHEMA}.seed_chunks WHERE variant = $1`, [variant]);
  const done = new Set<string>();
  for (const row of r.rows) {
    // A family chunk is committed as four marks; the messages mark stands for it.
    if (!MESSAGE_FAMILY.includes(row.table_name) || row.table_name === 'messages') done.add(`${row.table_name}:${row.chunk}`);
  }
  return done;
}

/**
 * Loads the chunks not yet committed, on `jobs` connections. Stops taking chunks when `signal`
 * aborts or any connection fails; chunks in flight finish or roll back, never half-commit.
 */
export async function loadChunks(opts: {
  target: Target;
  schema: string;
  variant: string;
  model: Model;
  chunks: Chunk[];
  jobs: number;
  format: CopyFormat;
  signal: AbortSignal;
  onChunk: (done: ChunkDone) => void;
  /** Load only these tables of the message family (benchmarks); marks go to marksTable. */
  only?: readonly TableName[];
  marksTable?: string;
}): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    let client: pg.Client | undefined;
    try {
      client = await connectClient(opts.target, { schema: opts.schema, applicationName: 'chatbench seed' });
      // A chunk lost in a server crash loses its mark with it and is reloaded on resume: no need to wait for the WAL flush.
      await client.query('SET synchronous_commit = off');
      while (!failure && !opts.signal.aborted && next < opts.chunks.length) {
        const chunk = opts.chunks[next++];
        opts.onChunk(await copyChunk(client, opts.variant, opts.model, chunk, opts.format, { only: opts.only, marksTable: opts.marksTable }));
      }
    } catch (e) {
      failure ??= e;
    } finally {
      await client?.end().catch(() => {});
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(opts.jobs, opts.chunks.length)) }, worker);
  await Promise.all(workers);
  if (failure) throw failure;
  if (opts.signal.aborted && next < opts.chunks.length) throw new InterruptedError('seed interrupted: run the same command again to resume from the committed chunks');
}
