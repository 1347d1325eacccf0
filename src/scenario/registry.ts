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

export async function loadScenario(name: string, dir = SCENARIOS_DIR): Promise<AnyScenario> {
  const names = scenarioNames(dir);
  if (!names.includes(name)) throw new UsageError(`unknown scenario ${JSON.stringify(name)}: expected one of ${names.join(', ')}`);
  const file = path.join(dir, `${name}.ts`);
  const mod = (await import(pathToFileURL(file).href)) as { default: AnyScenario };
  return validate(mod.default, file);
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
