// --mode micro: each operation run alone, sequentially, on one connection, with tinybench, for a
// quick per-query latency table (no concurrency, no mix: the query's own cost).
import { Bench } from 'tinybench';
import type { LeanConnection } from '../db/lean-connection.ts';
import { nowUs } from '../metrics/clock.ts';
import { OperationStats } from '../metrics/counters.ts';
import { CLIENT_ERROR_CODES, sqlstateName } from '../db/sqlstate.ts';
import type { World } from './api.ts';
import { makeVirtualUser, type Op } from './executor.ts';
import type { AnyScenario } from './registry.ts';
import { vuKey } from './world.ts';

export async function microBench(conn: LeanConnection, scenario: AnyScenario, ops: Op[], world: World, seed: number, durationMs: number, warmupMs: number, signal: AbortSignal): Promise<Array<{ stats: OperationStats; note: string }>> {
  const perOp = Math.max(200, Math.floor(durationMs / ops.length));
  const out: Array<{ stats: OperationStats; note: string }> = [];
  for (const op of ops) {
    const stats = new OperationStats();
    // Micro mode measures reads against the seeded data; writes run in a transaction rolled back each time.
    const vu = makeVirtualUser(0, vuKey(seed, scenario.name, 0, 'load'), world, op.def.kind === 'read' ? 'check' : 'load', scenario);
    let measuring = false;
    const bench = new Bench({ time: perOp, warmupTime: Math.max(50, Math.floor(warmupMs / ops.length)), signal });
    bench.add(op.def.name, async () => {
      const params = op.def.params(vu);
      const t0 = nowUs();
      try {
        if (op.def.kind === 'write') await conn.simpleQuery('BEGIN');
        const rows = await conn.query(op.statement, op.def.sql, params);
        const t1 = nowUs();
        // The answer is read before the rollback replaces it (the lean path keeps one answer).
        op.def.after?.(vu, rows);
        if (op.def.kind === 'write') await conn.simpleQuery('ROLLBACK');
        const t2 = op.def.kind === 'write' ? nowUs() : t1;
        if (measuring) stats.succeeded(t2 - t0, t2 - t0);
      } catch (e) {
        if (op.def.kind === 'write') await conn.simpleQuery('ROLLBACK').catch(() => {});
        const t1 = nowUs();
        const code = (e as { code?: string }).code;
        const sqlstate = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : CLIENT_ERROR_CODES.other;
        if (measuring) stats.failedWith(sqlstate, sqlstateName(sqlstate), (e as Error).message, t1 - t0, t1 - t0);
      }
    });
    bench.addEventListener('warmup', () => {});
    const task = bench.tasks[0];
    task.addEventListener('start', () => {
      measuring = true;
    });
    await bench.run();
    const r = task.result as { state?: string; latency?: { mean: number; moe: number; samplesCount: number } };
    const note = r.latency ? `tinybench: mean ${r.latency.mean.toFixed(3)} ms ± ${r.latency.moe.toFixed(3)} ms (95% CI, ${r.latency.samplesCount} samples)` : `tinybench: ${r.state ?? 'no result'}`;
    out.push({ stats, note });
  }
  return out;
}
