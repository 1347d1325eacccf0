// Synthetic growth results for unit tests (no server): points that follow known power laws.
import type { GrowthPoint, GrowthResults, VariantScenarioResult } from '../results/types.ts';
import { fitGrowth, memoryCrossings, project } from './analyse.ts';

const empty: VariantScenarioResult = { variant: '', durationMs: 1000, warmupMs: 0, throughputPerSec: 0, operations: [], timeline: [], server: { hitRatio: null, tempBytes: 0, deadlocks: 0, walBytes: 0, commits: 0, rollbacks: 0, tableBytes: {}, indexBytes: {} } };

/** A point whose p99 of `op` is c·m^b, its p50 a third of that, and whose indexes are 90 bytes a message. */
export function syntheticPoint(variant: string, messages: number, law: { c: number; b: number }, op = 'open-channel'): GrowthPoint {
  const p99 = law.c * messages ** law.b;
  return {
    variant,
    messages,
    database: `chatbench_${messages}`,
    seed: { reused: false, freed: false, steps: [{ name: 'load', ms: messages / 200 }], totalMs: messages / 200 },
    throughputPerSec: 5000 / (1 + p99 / 1000),
    operations: [{ name: op, ok: 1000, failed: 0, p50Us: p99 / 3, p99Us: p99, serverMeanExecUs: p99 / 4 }],
    bytes: { messagesTable: messages * 210, messagesIndexes: messages * 70, tables: messages * 300, indexes: messages * 90 },
    fitsSharedBuffers: messages * 90 <= 6 * 2 ** 30,
    fitsMemory: messages * 90 <= 24 * 2 ** 30,
    result: { ...empty, variant },
  };
}

export function syntheticGrowth(laws: Record<string, { c: number; b: number }>, sizes: number[], projectTo: number | null): GrowthResults {
  const points = Object.entries(laws).flatMap(([v, law]) => sizes.map((m) => syntheticPoint(v, m, law)));
  const fits = fitGrowth(points);
  const memory = { sharedBuffersBytes: 6 * 2 ** 30, machineMemBytes: 24 * 2 ** 30 };
  return {
    schemaVersion: 1,
    kind: 'growth',
    runId: 'synthetic',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T01:00:00.000Z',
    command: 'npm run growth history-scroll -- --messages 1M,10M,100M',
    partial: false,
    environment: { versions: { chatbench: '0', gitCommit: null, node: 'v20', postgres: 'PostgreSQL 18.4' }, machine: { cores: 2, memBytes: memory.machineMemBytes, platform: 'linux', cpuModel: 'test' }, serverSettings: { shared_buffers: '6GB' }, target: 'postgres://x@y:1/z', targetKind: 'embedded' },
    scenario: { name: 'history-scroll', description: '', question: 'q', operations: [{ name: 'open-channel', weight: 1, sql: 'SELECT 1', kind: 'read' }] },
    config: { variants: Object.keys(laws), sizes, projectTo, freeAfter: [], dataSeed: 1, executor: 'closed', concurrency: 4, connections: 4, durationMs: 30_000, warmupMs: 5000, seed: 1, explain: false },
    memory,
    points,
    fits,
    projections: projectTo ? project(fits, projectTo) : [],
    crossings: memoryCrossings(points, fits, memory),
  };
}
