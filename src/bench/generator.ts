// bench generator: how fast chatbench generates and encodes messages on one core (no database),
// next to the server's own generation (COPY (SELECT ... generate_series) TO STDOUT) and to the
// rate the load needs (1.5M rows/s).
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { createWriter, type CopyFormat } from '../copy/writer.ts';
import type { Model } from '../generate/model.ts';
import { writeMessageFamily } from '../generate/tables.ts';
import type { BenchComparison } from '../results/types.ts';
import { comparison } from './common.ts';

const GENERATOR_TARGET_ROWS_PER_SEC = 1_500_000;

/** Messages (with their children) generated and encoded per second, best of `rounds`. */
function generatorRate(model: Model, format: CopyFormat, messages: number, rounds = 3): { rowsPerSec: number; bytesPerRow: number } {
  const ws = { messages: createWriter(format, 1 << 23), message_edits: createWriter(format), reactions: createWriter(format), attachments: createWriter(format) };
  const chunk = 50_000;
  // One warm-up pass so the JIT has compiled the hot path before timing.
  writeMessageFamily(model, ws, 0, Math.min(chunk, messages));
  for (const w of Object.values(ws)) w.take();
  let best = 0;
  let bytes = 0;
  for (let r = 0; r < rounds; r++) {
    bytes = 0;
    const t0 = performance.now();
    for (let from = 0; from < messages; from += chunk) {
      writeMessageFamily(model, ws, from, Math.min(messages, from + chunk));
      for (const w of Object.values(ws)) bytes += w.take().length;
    }
    best = Math.max(best, messages / ((performance.now() - t0) / 1000));
  }
  return { rowsPerSec: best, bytesPerRow: bytes / messages };
}

/** The server generating similar rows itself and sending them as COPY text: the "free" peer. */
async function serverGenerationRate(client: pg.Client, rows: number): Promise<number> {
  const sql = `COPY (SELECT g AS id, (g % 1000) + 1 AS channel_id, (g % 5000) + 1 AS author_id,
                            md5(g::text) || ' ' || left(md5((g + 1)::text), 20) AS content,
                            timestamptz '2026-01-01' + g * interval '1 millisecond' AS created_at
                       FROM generate_series(1, ${Math.floor(rows)}) g) TO STDOUT`;
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  const t0 = performance.now();
  await pipeline(client.query(copyStreams.to(sql)), sink);
  return rows / ((performance.now() - t0) / 1000);
}

export async function benchGenerator(model: Model, client: pg.Client | undefined, messages: number, log: (m: string) => void): Promise<{ comparisons: BenchComparison[]; extra: Record<string, unknown> }> {
  log(`generator: ${messages} messages, text and binary COPY encodings, one core`);
  const text = generatorRate(model, 'text', messages);
  const binary = generatorRate(model, 'binary', messages);
  const best = Math.max(text.rowsPerSec, binary.rowsPerSec);
  const comparisons: BenchComparison[] = [
    comparison({ name: 'generate + encode, text COPY', unit: 'rows/s', peer: 'target rate', peerValue: GENERATOR_TARGET_ROWS_PER_SEC, chatbenchValue: text.rowsPerSec, ratio: text.rowsPerSec / GENERATOR_TARGET_ROWS_PER_SEC, target: 1, detail: `${text.bytesPerRow.toFixed(0)} bytes per message with its children` }),
    comparison({ name: 'generate + encode, binary COPY', unit: 'rows/s', peer: 'target rate', peerValue: GENERATOR_TARGET_ROWS_PER_SEC, chatbenchValue: binary.rowsPerSec, ratio: binary.rowsPerSec / GENERATOR_TARGET_ROWS_PER_SEC, target: 1, detail: `${binary.bytesPerRow.toFixed(0)} bytes per message with its children` }),
  ];
  const extra: Record<string, unknown> = { text, binary };
  if (client) {
    log('generator: the server generating similar rows with generate_series and COPY TO STDOUT');
    const server = await serverGenerationRate(client, Math.min(messages, 2_000_000));
    extra.serverRowsPerSec = server;
    comparisons.push(comparison({ name: 'client generation vs server generation', unit: 'rows/s', peer: 'COPY (SELECT ... generate_series) TO STDOUT', peerValue: server, chatbenchValue: best, ratio: best / server, detail: 'the server builds simpler rows (md5 text), so this bounds what "free" generation costs' }));
  }
  return { comparisons, extra };
}
