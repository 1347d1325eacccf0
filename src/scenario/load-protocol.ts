// What the main thread (load.ts) and a load worker (load-worker.ts) say to each other, and the
// names both must agree on (prepared statements, users' streams per round).
import type { ConnectionParams } from '../db/target.ts';
import type { ModelParams } from '../generate/model.ts';
import { hash2 } from '../generate/random.ts';
import type { EncodedStats } from '../metrics/counters.ts';
import type { EncodedPauses } from '../metrics/pauses.ts';
import type { AnyScenario } from './registry.ts';
import type { RunOptions } from './api.ts';
import type { EncodedEventWindow } from './event-window.ts';
import type { LoadShape, Outage, SecondReport } from './executor.ts';

export interface WorkerInit {
  index: number;
  scenarioFile: string;
  model: ModelParams;
  /** Plain connection parameters, the password among them (it never leaves the process). */
  connection: Omit<ConnectionParams, 'query'> & { password?: string; query: string };
}

export interface OpenCommand {
  op: 'open';
  schema: string;
  /** The virtual users this worker runs (global ids: user k of every run is the same user). */
  vus: number[];
  connections: number;
  /** All users of the run: the event's user comes after them. */
  totalVus: number;
  seed: number;
  round: number;
  virtualStartMs: number;
  planCache: 'auto' | 'custom' | 'generic';
  opTimeoutMs?: number;
  /** This worker runs the scenario's event, on a connection of its own. */
  event: boolean;
  applicationName: string;
  /** The run's choices the scenario reads (--retention-method). */
  options: RunOptions;
}

export interface PhaseCommand {
  op: 'phase';
  durationMs: number;
  shape: LoadShape;
  arrivalSeed: number;
  event?: { atMs: number };
  /** When the phase has an event: its span, in memory every worker shares (an EventSpan's buffer). */
  eventSpan?: SharedArrayBuffer;
}

/** The harness's own floor: a trivial statement through the same path, one user, closed loop. */
export interface FloorCommand {
  op: 'floor';
  schema: string;
  warmupMs: number;
  durationMs: number;
  applicationName: string;
}

export const FLOOR_SQL = 'SELECT 1';

export type WorkerCommand =
  | ({ id: number } & (OpenCommand | PhaseCommand | FloorCommand | { op: 'plans' } | { op: 'explain-params'; draws: number } | { op: 'close' } | { op: 'exit' }))
  | { op: 'abort' };

export interface EncodedPhase {
  stats: EncodedStats[];
  outages: Outage[];
  pauses: EncodedPauses;
  elapsedMs: number;
  interrupted: boolean;
  eventWindow?: EncodedEventWindow;
}

/** Plan kinds of each statement on each connection so far (pg_prepared_statements, PostgreSQL 14 and later). */
export type PlanCounts = Record<string, Array<{ generic: number; custom: number }>> | null;

export type WorkerMessage =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { message: string; code?: string; name: string; detail?: string; hint?: string } }
  | ({ op: 'second' } & SecondReport);

/** The prepared-statement name of an operation: the same on every connection and every worker. */
export function statementName(scenario: AnyScenario, op: string): string {
  return `cb_${scenario.name}_${op}`.replace(/[^a-z0-9_]/gi, '_');
}

/** Round 0 keeps the users' historical streams; later rounds get fresh ones, the same on every design. */
export function roundKey(key: number, round: number): number {
  return round === 0 ? key : hash2(key, 0x70_0000 + round);
}
