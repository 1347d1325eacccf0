// The scenario engine as the CLI and the benchmarks use it: find and load scenarios, run one on
// variants, and the world a data set presents (for peers drawing the same parameter laws).
// Scenario files use api.ts; nothing outside src/scenario imports anything else from here.
import type { Model } from '../generate/model.ts';
import type { World } from './api.ts';
import { buildWorld } from './world.ts';

export { describeScenario, runScenario, type RunEvent, type RunRecord, type ScenarioRunConfig } from './run.ts';
export { LoadPool } from './load.ts';
export type { LoadShape } from './executor.ts';
export { loadScenario, scenarioAuditQueries, scenarioFile, scenarioNames, type AnyScenario } from './registry.ts';
export { queries } from './api.ts';
export { ensurePgss } from './evidence.ts';

/** The world of a seeded data set as it stands at `virtualNowMs`, with the clock stopped. */
export function worldAt(model: Model, virtualNowMs: number): World {
  return buildWorld(model, virtualNowMs, () => 0);
}
