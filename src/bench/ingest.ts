// bench ingest: the very same message rows loaded by psql's \copy (from a file chatbench wrote)
// and by chatbench's loader, into identical tables on the same server, in one run:
//   A. the load alone, into unindexed tables (target: chatbench >= 0.95x psql's rows/s);
//   B. the whole table: chatbench loads then builds indexes and analyzes, psql copies into the
//      table with its indexes already built (target: chatbench >= 2x faster).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import type { CopyFormat } from '../copy/writer.ts';
import { connectClient, type Target } from '../db/target.ts';
import type { Model } from '../generate/model.ts';
import { TABLES } from '../generate/tables.ts';
import type { BenchComparison } from '../results/types.ts';
import type { Variant } from '../schema/variants.ts';
import { readLayouts } from '../seed/layout.ts';
import { generateChunk, planPasses, runPasses, type Chunk } from '../seed/load.ts';
import { comparison, dropScratch, runFragments, runPeer, scratchSchema } from './common.ts';

const POST_LOAD_INDEXES = ['05_keys', '06_time_index_btree', '06_time_index_brin'];

function messageChunks(model: Model): Chunk[] {
  const size = TABLES.messages.unitsPerChunk;
  const out: Chunk[] = [];
  for (let i = 0, from = 0; from < model.params.messages; i++, from += size) out.push({ key: 'messages', index: i, from, to: Math.min(model.params.messages, from + size) });
  return out;
}

/** Writes the messages of the model as a COPY text file, exactly the bytes chatbench would send. */
function writeCopyFile(model: Model, file: string): number {
  const fd = fs.openSync(file, 'w');
  let bytes = 0;
  try {
    for (const chunk of messageChunks(model)) {
      const [part] = generateChunk(model, chunk, 'text', ['messages']);
      fs.writeSync(fd, part.bytes);
      bytes += part.bytes.length;
    }
  } finally {
    fs.closeSync(fd);
  }
  return bytes;
}

/** A scratch copy of the design, with the partitions of the model's time span where it is range-partitioned. */
export async function prepare(client: pg.Client, variant: Variant, model: Model, name: string, withIndexes: boolean): Promise<string> {
  const schema = await scratchSchema(client, name);
  await runFragments(client, variant, schema, 'pre-load', undefined, { fromMs: model.params.startMs, toMs: model.endMs });
  if (withIndexes) await runFragments(client, variant, schema, 'post-load', POST_LOAD_INDEXES);
  return schema;
}

/**
 * psql's \\copy of the file, in its best form: in the transaction that truncates the table, so at
 * wal_level=minimal its rows skip the WAL as the seeder's do (FREEZE too where the table is not
 * partitioned; a partitioned table takes no FREEZE).
 */
async function psqlCopy(target: Target, schema: string, file: string, partitioned: boolean): Promise<number> {
  const cols = TABLES.messages.columns.join(', ');
  const copy = `\\copy messages (${cols}) FROM '${file.replaceAll("'", "''")}'${partitioned ? '' : ' WITH (FREEZE)'}`;
  const { ms } = await runPeer('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', target.libpqUrl({ schema }), '-c', 'BEGIN', '-c', 'TRUNCATE messages', '-c', copy, '-c', 'COMMIT'], target.params.password && target.kind === 'url' ? { PGPASSWORD: target.params.password } : {});
  return ms;
}

async function chatbenchLoad(target: Target, schema: string, model: Model, jobs: number, format: CopyFormat): Promise<number> {
  const client = await connectClient(target);
  const layouts = await readLayouts(client, schema).finally(() => client.end());
  const designs = [{ variant: 'bench', schema, layouts, done: new Set<string>() }];
  const t0 = performance.now();
  await runPasses({ target, model, designs, passes: planPasses(model, designs, ['messages']), slots: jobs, format, signal: new AbortController().signal, onEvent: () => {}, marks: false });
  return performance.now() - t0;
}

/**
 * `loadOnly`: only comparison A, psql against the seeder's own load (binary, its passes), each
 * table dropped (and the file deleted) before the next load: what fits on a disk at 100M.
 */
export async function benchIngest(target: Target, variant: Variant, model: Model, jobs: number, log: (m: string) => void, opts: { loadOnly?: boolean } = {}): Promise<{ comparisons: BenchComparison[]; extra: Record<string, unknown> }> {
  const n = model.params.messages;
  const file = path.join(os.tmpdir(), `chatbench-ingest-${process.pid}.copy`);
  const client = await connectClient(target, { applicationName: 'chatbench bench' });
  const schemas: string[] = [];
  try {
    log(`ingest: writing ${n} messages to ${file} for psql`);
    const fileBytes = writeCopyFile(model, file);
    const rate = (ms: number) => n / (ms / 1000);

    log('ingest A: psql \\copy into an unindexed table');
    schemas.push(await prepare(client, variant, model, 'psql_a', false));
    const psqlA = await psqlCopy(target, schemas.at(-1)!, file, variant.partitioning !== null);
    await client.query('CHECKPOINT');
    if (opts.loadOnly) {
      for (const s of schemas.splice(0)) await dropScratch(client, s);
      fs.rmSync(file, { force: true });
      await client.query('CHECKPOINT');
      log(`ingest A: chatbench, ${jobs * 2} load passes at once, binary`);
      schemas.push(await prepare(client, variant, model, 'cb_binary', false));
      const cb = await chatbenchLoad(target, schemas.at(-1)!, model, jobs * 2, 'binary');
      return {
        comparisons: [comparison({ name: 'load into unindexed table', unit: 'rows/s', peer: 'psql \\copy from file, in the transaction that truncates the table', peerValue: rate(psqlA), chatbenchValue: rate(cb), ratio: psqlA / cb, target: 0.95, detail: `${n} messages of ${variant.name}; chatbench generating as it loads, binary, up to ${jobs * 2} passes; the peer read ${(fileBytes / 1e6).toFixed(0)} MB of COPY text` })],
        extra: { messages: n, fileBytes, ms: { psqlA, cbBinary: cb }, jobs, variant: variant.name, loadOnly: true },
      };
    }
    log(`ingest A: chatbench, ${jobs} streams, text`);
    schemas.push(await prepare(client, variant, model, 'cb_text', false));
    const cbText = await chatbenchLoad(target, schemas.at(-1)!, model, jobs, 'text');
    await client.query('CHECKPOINT');
    log(`ingest A: chatbench, ${jobs} streams, binary`);
    schemas.push(await prepare(client, variant, model, 'cb_binary', false));
    const cbBinary = await chatbenchLoad(target, schemas.at(-1)!, model, jobs, 'binary');
    const cb1 = await (async () => {
      await client.query('CHECKPOINT');
      log('ingest A: chatbench, 1 stream, binary (same concurrency as psql)');
      schemas.push(await prepare(client, variant, model, 'cb_one', false));
      return chatbenchLoad(target, schemas.at(-1)!, model, 1, 'binary');
    })();
    for (const s of schemas.splice(0)) await dropScratch(client, s);
    const bestFormat: CopyFormat = cbBinary <= cbText ? 'binary' : 'text';
    const cbA = Math.min(cbText, cbBinary);

    await client.query('CHECKPOINT');
    log('ingest B: psql \\copy into the table with its indexes already built, then ANALYZE');
    schemas.push(await prepare(client, variant, model, 'psql_b', true));
    let t0 = performance.now();
    await psqlCopy(target, schemas.at(-1)!, file, variant.partitioning !== null);
    await client.query(`ANALYZE "${schemas.at(-1)}".messages`);
    const psqlB = performance.now() - t0;
    await client.query('CHECKPOINT');
    log(`ingest B: chatbench load (${bestFormat}, ${jobs} streams), then build indexes, then ANALYZE`);
    schemas.push(await prepare(client, variant, model, 'cb_b', false));
    t0 = performance.now();
    await chatbenchLoad(target, schemas.at(-1)!, model, jobs, bestFormat);
    await runFragments(client, variant, schemas.at(-1)!, 'post-load', POST_LOAD_INDEXES);
    await client.query(`ANALYZE "${schemas.at(-1)}".messages`);
    const cbB = performance.now() - t0;

    const comparisons = [
      comparison({ name: 'load into unindexed table', unit: 'rows/s', peer: 'psql \\copy from file', peerValue: rate(psqlA), chatbenchValue: rate(cbA), ratio: psqlA / cbA, target: 0.95, detail: `chatbench ${jobs} streams, ${bestFormat} (text ${Math.round(rate(cbText))}, binary ${Math.round(rate(cbBinary))}, binary on 1 stream ${Math.round(rate(cb1))} rows/s); the peer read ${(fileBytes / 1e6).toFixed(0)} MB of COPY text` }),
      comparison({ name: 'whole table: load, indexes, analyze', unit: 'rows/s', peer: 'psql \\copy into the indexed table', peerValue: rate(psqlB), chatbenchValue: rate(cbB), ratio: psqlB / cbB, target: 2, detail: `psql ${(psqlB / 1000).toFixed(1)} s, chatbench ${(cbB / 1000).toFixed(1)} s (indexes of ${variant.name}, no foreign keys on either side)` }),
    ];
    return { comparisons, extra: { messages: n, fileBytes, ms: { psqlA, cbText, cbBinary, cbOneStream: cb1, psqlB, cbB }, jobs, format: bestFormat, variant: variant.name } };
  } finally {
    for (const s of schemas) await dropScratch(client, s).catch(() => {});
    fs.rmSync(file, { force: true });
    await client.end().catch(() => {});
  }
}
