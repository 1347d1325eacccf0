// Reading and writing results.json: written atomically, validated when read (the schema in
// schema.ts, then the counter identities), so a report never renders a file it cannot trust.
import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { ResultsError } from '../errors.ts';
import { resultsSchema } from './schema.ts';
import { RESULTS_SCHEMA_VERSION, type Results, type ScenarioResults, type VariantScenarioResult } from './types.ts';

const RESULTS_FILE = 'results.json';

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

function validateResults(raw: unknown, where = 'results'): Results {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ResultsError(`${where}: not a JSON object`);
  const version = (raw as { schemaVersion?: unknown }).schemaVersion;
  if (typeof version === 'number' && version > RESULTS_SCHEMA_VERSION) {
    throw new ResultsError(`${where}: schemaVersion ${version} was written by a newer chatbench (this one reads ${RESULTS_SCHEMA_VERSION}): update chatbench to read it`);
  }
  if (version !== RESULTS_SCHEMA_VERSION) throw new ResultsError(`${where}: schemaVersion ${JSON.stringify(version)} is not supported (expected ${RESULTS_SCHEMA_VERSION})`);
  const parsed = resultsSchema.safeParse(raw);
  if (!parsed.success) throw new ResultsError(`${where}: ${describeIssue(parsed.error.issues[0], raw)}`);
  // Assigning the schema's output to Results is the check that the schema is as strict as the types.
  const r: Results = parsed.data;
  if (r.kind === 'scenario') checkIdentities(r, where);
  if (r.kind === 'capacity') {
    for (const d of r.variants) d.steps.forEach((s, k) => checkVariantIdentities(s.result, `${where}: ${d.variant} step ${k + 1} at ${s.ratePerSec}/s`));
  }
  if (r.kind === 'growth') {
    for (const p of r.points) checkVariantIdentities(p.result, `${where}: ${p.variant} at ${p.messages} messages`);
  }
  return r;
}

/** A schema problem as the one-line message a person reads: the field, and what is wrong with it. */
function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const at = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
  if (issue.code === 'invalid_union' && at === 'kind') return `unknown kind ${String((raw as { kind?: unknown }).kind)}`;
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) return `missing ${at}`;
  return `${at}: ${issue.message.replace(/^Invalid input: /, '')}`;
}

/** attempted = ok + failed + dropped, and errors by SQLSTATE add up to failed, for every operation. */
export function checkIdentities(r: ScenarioResults, where = 'results'): void {
  for (const v of r.variants ?? []) checkVariantIdentities(v, where);
}

function checkVariantIdentities(v: VariantScenarioResult, where = 'results'): void {
  for (const op of v.operations ?? []) {
    if (op.attempted !== op.ok + op.failed + op.dropped) {
      throw new ResultsError(`${where}: ${v.variant}/${op.name}: attempted ${op.attempted} != ok ${op.ok} + failed ${op.failed} + dropped ${op.dropped}`);
    }
    const byCode = Object.values(op.errors ?? {}).reduce((a, e) => a + e.count, 0);
    if (byCode !== op.failed) throw new ResultsError(`${where}: ${v.variant}/${op.name}: errors by SQLSTATE sum to ${byCode}, failed is ${op.failed}`);
  }
}
