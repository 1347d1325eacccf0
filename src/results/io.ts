// Reading and writing results.json: written atomically, validated when read (version, kind, and
// the counter identities), so a report never renders a file it cannot trust.
import fs from 'node:fs';
import path from 'node:path';
import { RESULTS_SCHEMA_VERSION, type Results, type ScenarioResults, type VariantScenarioResult } from './types.ts';

export const RESULTS_FILE = 'results.json';

export class ResultsError extends Error {
  override readonly name = 'ResultsError';
}

/** A run id that sorts by time: 20261130-193005-history-scroll. */
export function newRunId(name: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${name.replace(/[^a-z0-9-]+/gi, '-').toLowerCase()}`;
}

/** A folder for the run under `reportsDir`, never reusing an existing one. */
export function runDir(reportsDir: string, runId: string): string {
  let dir = path.join(reportsDir, runId);
  for (let k = 2; fs.existsSync(dir); k++) dir = path.join(reportsDir, `${runId}-${k}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export function writeResults(dir: string, results: Results): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, RESULTS_FILE);
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, `${JSON.stringify(results, null, 2)}\n`);
  fs.renameSync(tmp, file);
  return file;
}

/** Reads and validates results.json from a run folder (or the file itself). */
export function readResults(dirOrFile: string): Results {
  const file = dirOrFile.endsWith('.json') ? dirOrFile : path.join(dirOrFile, RESULTS_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ResultsError(`cannot read ${file}: ${(e as Error).message}`);
  }
  return validateResults(raw, file);
}

export function validateResults(raw: unknown, where = 'results'): Results {
  const r = raw as Results;
  if (!r || typeof r !== 'object') throw new ResultsError(`${where}: not a JSON object`);
  if (typeof r.schemaVersion === 'number' && r.schemaVersion > RESULTS_SCHEMA_VERSION) {
    throw new ResultsError(`${where}: schemaVersion ${r.schemaVersion} was written by a newer chatbench (this one reads ${RESULTS_SCHEMA_VERSION}): update chatbench to read it`);
  }
  if (r.schemaVersion !== RESULTS_SCHEMA_VERSION) throw new ResultsError(`${where}: schemaVersion ${JSON.stringify(r.schemaVersion)} is not supported (expected ${RESULTS_SCHEMA_VERSION})`);
  if (!['seed', 'scenario', 'bench', 'capacity', 'growth'].includes(r.kind)) throw new ResultsError(`${where}: unknown kind ${String(r.kind)}`);
  for (const k of ['runId', 'startedAt', 'finishedAt', 'command', 'environment'] as const) {
    if (r[k] === undefined) throw new ResultsError(`${where}: missing ${k}`);
  }
  const REQUIRED: Record<Results['kind'], readonly string[]> = {
    scenario: ['scenario', 'config', 'variants'],
    seed: ['plan', 'variants'],
    bench: [],
    capacity: ['scenario', 'config', 'variants'],
    growth: ['scenario', 'config', 'memory', 'points', 'fits', 'projections', 'crossings'],
  };
  const required = REQUIRED[r.kind];
  for (const k of required) {
    if ((r as unknown as Record<string, unknown>)[k] === undefined) throw new ResultsError(`${where}: missing ${k}`);
  }
  if ('variants' in r && !Array.isArray(r.variants)) throw new ResultsError(`${where}: variants must be an array`);
  if (r.kind === 'scenario') {
    r.variants.forEach((v, i) => {
      if (!v || typeof v.variant !== 'string' || !Array.isArray(v.operations)) throw new ResultsError(`${where}: variants[${i}] needs a variant name and an operations array`);
    });
    checkIdentities(r, where);
  }
  if (r.kind === 'capacity') {
    r.variants.forEach((d, i) => {
      if (!d || typeof d.variant !== 'string' || !Array.isArray(d.steps)) throw new ResultsError(`${where}: variants[${i}] needs a variant name and a steps array`);
      d.steps.forEach((s, k) => {
        if (!s?.result || !Array.isArray(s.result.operations)) throw new ResultsError(`${where}: ${d.variant} step ${k + 1} has no measured result`);
        checkVariantIdentities(s.result, `${where}: ${d.variant} step ${k + 1} at ${s.ratePerSec}/s`);
      });
    });
    if (!Array.isArray(r.config.slo) || r.config.slo.length === 0) throw new ResultsError(`${where}: config.slo must list the objective`);
  }
  if (r.kind === 'growth') {
    if (!Array.isArray(r.points)) throw new ResultsError(`${where}: points must be an array`);
    r.points.forEach((p, i) => {
      if (!p?.result || !Array.isArray(p.result.operations)) throw new ResultsError(`${where}: points[${i}] has no measured result`);
      checkVariantIdentities(p.result, `${where}: ${p.variant} at ${p.messages} messages`);
    });
    // A projection is never a measurement: nothing in projections may claim otherwise.
    if (!Array.isArray(r.projections) || r.projections.some((p) => p.source !== 'projected')) throw new ResultsError(`${where}: every projection must be marked source "projected"`);
  }
  return r;
}

/** attempted = ok + failed + dropped, and errors by SQLSTATE add up to failed, for every operation. */
export function checkIdentities(r: ScenarioResults, where = 'results'): void {
  for (const v of r.variants ?? []) checkVariantIdentities(v, where);
}

export function checkVariantIdentities(v: VariantScenarioResult, where = 'results'): void {
  for (const op of v.operations ?? []) {
    if (op.attempted !== op.ok + op.failed + op.dropped) {
      throw new ResultsError(`${where}: ${v.variant}/${op.name}: attempted ${op.attempted} != ok ${op.ok} + failed ${op.failed} + dropped ${op.dropped}`);
    }
    const byCode = Object.values(op.errors ?? {}).reduce((a, e) => a + e.count, 0);
    if (byCode !== op.failed) throw new ResultsError(`${where}: ${v.variant}/${op.name}: errors by SQLSTATE sum to ${byCode}, failed is ${op.failed}`);
  }
}
