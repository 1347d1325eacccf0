// Finds the scenario files in scenarios/, loads and validates them, and lists their statements
// for the schema audit.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, UsageError } from '../errors.ts';
import type { AuditQuery } from '../schema/audit.ts';
import type { ScenarioDef } from './api.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyScenario = ScenarioDef<any>;

const SCENARIOS_DIR = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'scenarios');

export function scenarioNames(dir = SCENARIOS_DIR): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

function validate(def: AnyScenario, file: string): AnyScenario {
  const problem =
    !def || typeof def !== 'object' ? 'the file must export default defineScenario({...})'
    : `${def.name}.ts` !== path.basename(file) ? `name "${def.name}" must match the file name`
    : !def.description || !def.question ? 'description and question are required'
    : !Array.isArray(def.operations) || def.operations.length === 0 ? 'at least one operation is required'
    : def.operations.some((o) => !o.name || !o.sql || typeof o.params !== 'function' || (o.kind !== 'read' && o.kind !== 'write')) ? 'every operation needs a name, kind, sql and params()'
    : new Set(def.operations.map((o) => o.name)).size !== def.operations.length ? 'operation names must be unique'
    : !def.next && def.operations.filter((o) => o.name !== def.event?.operation).every((o) => o.weight === 0) ? 'at least one operation needs a weight above 0, or the scenario a next()'
    : def.event && !def.operations.some((o) => o.name === def.event!.operation) ? `event operation ${def.event.operation} is not defined`
    : undefined;
  if (problem) throw new ConfigError(`invalid scenario ${file}: ${problem}`);
  return def;
}

/**
 * A scenario by name (scenarios/<name>.ts) or, when the argument is a path to a .ts file, from that
 * file (a team's own scenarios, kept with their project). Names are checked against the folder, so
 * nothing but a known name or an existing file is ever imported.
 */
export async function loadScenario(nameOrFile: string, dir = SCENARIOS_DIR): Promise<AnyScenario> {
  return importScenario(scenarioFile(nameOrFile, dir));
}

/** The file a scenario name or path stands for (load workers import it by this path). */
export function scenarioFile(nameOrFile: string, dir = SCENARIOS_DIR): string {
  if (/[\\/]/.test(nameOrFile) || nameOrFile.endsWith('.ts')) {
    const file = path.resolve(nameOrFile);
    if (!file.endsWith('.ts')) throw new UsageError(`invalid scenario file ${JSON.stringify(nameOrFile)}: expected a .ts file`);
    if (!fs.existsSync(file)) throw new UsageError(`scenario file ${file} does not exist`);
    return file;
  }
  const names = scenarioNames(dir);
  if (!names.includes(nameOrFile)) throw new UsageError(`unknown scenario ${JSON.stringify(nameOrFile)}: expected one of ${names.join(', ')}, or the path of a scenario .ts file`);
  return path.join(dir, `${nameOrFile}.ts`);
}

/** Imports a scenario file; a file that does not compile or throws is named with its line. */
async function importScenario(file: string): Promise<AnyScenario> {
  let mod: { default: AnyScenario };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default: AnyScenario };
  } catch (e) {
    throw new ConfigError(`scenario file ${file} failed to load: ${whereAndWhy(e, file)}`, { cause: e });
  }
  return validate(mod.default, file);
}

/** "line 3: Unexpected ..." from a compile error (esbuild's) or the top frame of an exception in the file. */
function whereAndWhy(e: unknown, file: string): string {
  const err = e as { message?: string; stack?: string; errors?: Array<{ text: string; location?: { line: number; column: number } }> };
  const first = err?.errors?.[0];
  if (first?.location) return `line ${first.location.line}:${first.location.column + 1}: ${first.text}`;
  const message = (err?.message ?? String(e)).split('\n').find((l) => l.trim() && !l.includes('Transform failed')) ?? String(e);
  const compile = /:(\d+):(\d+): ERROR: (.*)/.exec(err?.message ?? '');
  if (compile) return `line ${compile[1]}:${compile[2]}: ${compile[3]}`;
  const base = path.basename(file);
  const frame = (err?.stack ?? '').split('\n').find((l) => l.includes(base));
  const at = frame ? /:(\d+):(\d+)\)?\s*$/.exec(frame) : null;
  return `${at ? `line ${at[1]}:${at[2]}: ` : ''}${message.trim()}`;
}

export async function loadAllScenarios(dir = SCENARIOS_DIR): Promise<AnyScenario[]> {
  return Promise.all(scenarioNames(dir).map((n) => loadScenario(n, dir)));
}

/** Every distinct statement of every scenario, for the audit's soft-delete, keyset and index rules. */
export async function scenarioAuditQueries(dir = SCENARIOS_DIR): Promise<AuditQuery[]> {
  const seen = new Map<string, AuditQuery>();
  for (const s of await loadAllScenarios(dir)) {
    for (const op of s.operations) {
      const readsMessages = op.kind === 'read' && /\bmessages\b/.test(op.sql);
      const q = seen.get(op.sql);
      if (q) {
        q.expectIndex ||= Boolean(op.expectIndex);
        q.readsMessages ||= readsMessages;
      } else {
        seen.set(op.sql, { name: `${s.name}/${op.name}`, sql: op.sql, readsMessages, expectIndex: Boolean(op.expectIndex) });
      }
    }
  }
  return [...seen.values()];
}
