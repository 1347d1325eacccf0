// Answer checks: before timing, the scenario's reads run with the same parameters on every variant
// and must return identical rows (the data is identical), so a variant cannot win by being wrong.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { AnswerCheck } from '../results/types.ts';
import type { World } from './api.ts';
import { arrayRows, makeVirtualUser, nextOp, weightOf, type Op } from './executor.ts';
import type { AnyScenario } from './registry.ts';
import { vuKey } from './world.ts';

/** Four users: scenarios give users roles by id modulo 4 (send-burst's readers are every fourth). */
const CHECK_USERS = 4;
const STEPS_PER_USER = 6;

function digest(rows: unknown[][]): string {
  const text = JSON.stringify(rows, (_k, v) => (v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? v.toString() : v));
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The full decoder (node-postgres), so a lean path can never make a wrong design look right. */
async function fullQuery(client: pg.Client, op: Op, params: unknown[]): Promise<unknown[][]> {
  const r = await client.query({ name: op.statement, text: op.def.sql, values: params, rowMode: 'array' });
  return r.rows as unknown[][];
}

/**
 * Walks a few check-mode users through the scenario (their parameters avoid anything writes can
 * change) and runs every read they reach on each variant's client, in the same order.
 */
export async function answerChecks(scenario: AnyScenario, ops: Op[], world: World, seed: number, clients: Array<{ variant: string; client: pg.Client }>): Promise<AnswerCheck[]> {
  const out: AnswerCheck[] = [];
  const eventOp = scenario.event?.operation;
  const loadOps = ops.filter((o) => o.def.name !== eventOp);
  const totalWeight = loadOps.reduce((a, op) => a + weightOf(op), 0);
  for (let u = 0; u < CHECK_USERS; u++) {
    const vu = makeVirtualUser(u, vuKey(seed, scenario.name, u, 'check'), world, 'check', scenario);
    for (let step = 0; step < STEPS_PER_USER; step++) {
      const op = nextOp(scenario, loadOps, vu, totalWeight);
      if (op.def.kind !== 'read' || op.def.check === false) continue; // writes are not run by checks
      const params = op.def.params(vu);
      const answers: Array<{ variant: string; digest: string; rows: number; data: unknown[][] }> = [];
      for (const { variant, client } of clients) {
        const rows = await fullQuery(client, op, params);
        answers.push({ variant, digest: digest(rows), rows: rows.length, data: rows });
      }
      const ref = answers[0];
      const mismatches = answers.slice(1).filter((a) => a.digest !== ref.digest).map(({ variant, digest: d, rows }) => ({ variant, digest: d, rows }));
      out.push({ operation: op.def.name, params: params.map(plain), ok: mismatches.length === 0, mismatches, reference: { variant: ref.variant, digest: ref.digest, rows: ref.rows } });
      op.def.after?.(vu, arrayRows(ref.data));
    }
  }
  return out;
}

export function plain(v: unknown): unknown {
  return v instanceof Date ? v.toISOString() : v;
}
