// A load worker: one thread with its own connections, clock and histograms, running its share of
// a scenario's virtual users (or of its arrival rate) on command from the main thread (load.ts),
// and sending back each second as it closes and each phase's statistics, encoded for an exact merge.
import v8 from 'node:v8';
import vm from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import { connectLean, type ConnectionParams } from '../db/target.ts';
import { loadModel } from '../generate/model.ts';
import { nowUs } from '../metrics/clock.ts';
import type { VirtualUser } from './api.ts';
import { Slot } from './connections.ts';
import { makeVirtualUser, runPhase, type Op } from './executor.ts';
import {
  FLOOR_SQL,
  roundKey,
  statementName,
  type EncodedPhase,
  type FloorCommand,
  type OpenCommand,
  type PhaseCommand,
  type PlanCounts,
  type WorkerCommand,
  type WorkerInit,
  type WorkerMessage,
} from './load-protocol.ts';
import { loadScenario, type AnyScenario } from './registry.ts';
import { buildWorld, vuKey } from './world.ts';

interface Session {
  slots: Slot[];
  eventSlot?: Slot;
  vus: Array<VirtualUser<unknown>>;
  eventVu?: VirtualUser<unknown>;
  ops: Op[];
  /** When the first phase after open started: the users' virtual clock runs from there. */
  originUs: number;
}

/**
 * A full garbage collection, run before each phase (as JMH and benchmark.js do) so that garbage of
 * the setup (the scenario's compilation, the data's model) is not collected in the middle of a
 * measurement, where it would show as a pause in the latencies.
 */
function collectGarbage(): () => void {
  // Young-generation collections then run on this thread alone: on a machine whose cores are busy
  // (the server shares them), a parallel scavenge waits for helper threads and pauses 5-15 ms
  // instead of about one (measured here under load with --trace-gc).
  v8.setFlagsFromString('--no-parallel-scavenge');
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  return () => gc();
}

async function main(): Promise<void> {
  const init = workerData as WorkerInit;
  const port = parentPort!;
  const params: ConnectionParams = { ...init.connection, query: new URLSearchParams(init.connection.query) };
  Object.defineProperty(params, 'password', { value: init.connection.password, enumerable: false });
  const [scenario, model] = await Promise.all([loadScenario(init.scenarioFile), loadModel(init.model)]);
  const ops: Op[] = scenario.operations.map((def, index) => ({ def, index, statement: statementName(scenario, def.name) }));
  let session: Session | undefined;
  let abort = new AbortController();
  const gc = collectGarbage();

  const handlers: Record<string, (c: never) => Promise<unknown>> = {
    open: async (c: OpenCommand) => {
      const connect = () => connectLean(params, { schema: c.schema, applicationName: c.applicationName, statementTimeoutMs: c.opTimeoutMs, planCache: c.planCache });
      const slots: Slot[] = [];
      try {
        for (let i = 0; i < c.connections; i++) slots.push(new Slot(connect, await connect()));
        const eventConnect = () => connectLean(params, { schema: c.schema, applicationName: `${c.applicationName} event` });
        const eventSlot = c.event ? new Slot(eventConnect, await eventConnect()) : undefined;
        const s: Session = { slots, eventSlot, vus: [], ops, originUs: 0 };
        const world = buildWorld(model, c.virtualStartMs, () => (s.originUs ? (nowUs() - s.originUs) / 1000 : 0));
        s.vus = c.vus.map((k) => makeVirtualUser(k, roundKey(vuKey(c.seed, scenario.name, k, 'load'), c.round), world, 'load', scenario, c.options));
        if (c.event) s.eventVu = makeVirtualUser(c.totalVus, roundKey(vuKey(c.seed, scenario.name, c.totalVus, 'load'), c.round), world, 'load', scenario, c.options);
        session = s;
      } catch (e) {
        await Promise.all(slots.map((x) => x.close()));
        throw e;
      }
      return null;
    },
    phase: async (c: PhaseCommand) => {
      const s = need(session);
      abort = new AbortController();
      gc();
      if (!s.originUs) s.originUs = nowUs();
      const eventOp = scenario.event ? ops.find((o) => o.def.name === scenario.event!.operation) : undefined;
      const r = await runPhase({
        scenario,
        ops,
        vus: s.vus,
        slots: s.slots,
        shape: c.shape,
        durationMs: c.durationMs,
        signal: abort.signal,
        arrivalSeed: c.arrivalSeed,
        onSecond: (sec) => port.postMessage({ op: 'second', ...sec } satisfies WorkerMessage, [sec.latenciesUs.buffer as ArrayBuffer]),
        event: c.event && eventOp && s.eventSlot && s.eventVu ? { atMs: c.event.atMs, op: eventOp, vu: s.eventVu, slot: s.eventSlot } : undefined,
        eventSpan: c.eventSpan ? new BigInt64Array(c.eventSpan) : undefined,
      });
      return { stats: r.stats.map((x) => x.encode()), outages: r.outages, pauses: r.pauses, elapsedMs: r.elapsedMs, interrupted: r.interrupted, eventWindow: r.eventWindow } satisfies EncodedPhase;
    },
    plans: async () => planCounts(need(session), ops),
    'explain-params': async (c: { draws: number }) => explainParams(need(session), ops, c.draws),
    floor: async (c: FloorCommand) => {
      abort = new AbortController();
      const slot = new Slot(() => connectLean(params, { schema: c.schema, applicationName: c.applicationName }));
      const def = { name: 'floor', kind: 'read' as const, sql: FLOOR_SQL, params: () => [] };
      const floorScenario: AnyScenario = { name: 'harness-floor', description: '', question: '', operations: [def], state: () => ({}), defaults: { executor: 'closed', concurrency: 1, durationMs: c.durationMs, warmupMs: 0 } };
      const floorOps: Op[] = [{ def, index: 0, statement: 'cb_harness_floor' }];
      const vu = makeVirtualUser(0, 0, buildWorld(model, 0, () => 0), 'load', floorScenario);
      const run = (durationMs: number) => runPhase({ scenario: floorScenario, ops: floorOps, vus: [vu], slots: [slot], shape: { kind: 'closed', concurrency: 1 }, durationMs, signal: abort.signal, arrivalSeed: 0 });
      try {
        if (c.warmupMs > 0) await run(c.warmupMs);
        return (await run(c.durationMs)).stats[0].encode();
      } finally {
        await slot.close();
      }
    },
    close: async () => {
      const s = session;
      session = undefined;
      if (!s) return 0;
      const all = s.eventSlot ? [...s.slots, s.eventSlot] : s.slots;
      await Promise.all(all.map((x) => x.close()));
      return all.reduce((a, x) => a + x.reconnects, 0);
    },
  };

  port.on('message', (m: WorkerCommand) => {
    if (m.op === 'abort') {
      abort.abort();
      return;
    }
    if (m.op === 'exit') {
      port.close();
      return;
    }
    handlers[m.op](m as never).then(
      (value) => port.postMessage({ id: m.id, ok: true, value } satisfies WorkerMessage),
      (e: Error & { code?: string; detail?: string; hint?: string }) =>
        port.postMessage({ id: m.id, ok: false, error: { message: e?.message ?? String(e), code: e?.code, name: e?.name ?? 'Error', detail: e?.detail, hint: e?.hint } } satisfies WorkerMessage),
    );
  });
  port.postMessage({ id: 0, ok: true, value: 'ready' } satisfies WorkerMessage);
}

function need(s: Session | undefined): Session {
  if (!s) throw new Error('load worker: no connections open');
  return s;
}

/** How many generic and custom plans each statement has run on each of this worker's connections. */
async function planCounts(s: Session, ops: Op[]): Promise<PlanCounts> {
  const out: NonNullable<PlanCounts> = {};
  for (const op of ops) out[op.statement] = [];
  for (const slot of s.slots) {
    const conn = slot.ready;
    const mine: Record<string, { generic: number; custom: number }> = {};
    if (conn) {
      try {
        const rows = await conn.simpleQuery('SELECT name, generic_plans, custom_plans FROM pg_prepared_statements');
        for (let i = 0; i < rows.length; i++) mine[String(rows.value(i, 0))] = { generic: Number(rows.value(i, 1)), custom: Number(rows.value(i, 2)) };
      } catch (e) {
        if ((e as { code?: string }).code === '42703') return null; // before PostgreSQL 14: no plan counters
        // a connection lost meanwhile: it counts as none
      }
    }
    for (const op of ops) out[op.statement].push(mine[op.statement] ?? { generic: 0, custom: 0 });
  }
  return out;
}

/**
 * Parameters for EXPLAIN from the first user of the run, whose state (cursors, its own messages)
 * is real: `draws` sets per operation (null where the user's state gives none).
 */
function explainParams(s: Session, ops: Op[], draws: number): Array<unknown[][] | null> {
  const vu = s.vus[0];
  return ops.map((op) => {
    const sets: unknown[][] = [];
    for (let k = 0; k < draws; k++) {
      try {
        sets.push(op.def.params(vu));
      } catch {
        break;
      }
    }
    return sets.length ? sets : null;
  });
}

main().catch((e) => {
  parentPort!.postMessage({ id: 0, ok: false, error: { message: (e as Error)?.message ?? String(e), code: (e as { code?: string })?.code, name: (e as Error)?.name ?? 'Error' } } satisfies WorkerMessage);
});
