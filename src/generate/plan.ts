// A data plan: the documented parameters of one data set, with counts derived from --messages.
// Recorded with every seed so scenarios rebuild the same model and reports show what was loaded.
import { DEFAULT_DAYS, DEFAULT_SEED, DEFAULT_START_MS } from './defaults.ts';
import { DISTRIBUTION, SNOWFLAKE_EPOCH_MS, SNOWFLAKE_MAX_MS, type Model, type ModelParams } from './model.ts';
import { TABLES, type TableName } from './tables.ts';

/**
 * Bump when the generator's output or its chunking changes: a resume refuses chunks made by
 * another version, and results say which one made the data.
 */
export const GENERATOR_VERSION = 3;

export interface DataPlan extends ModelParams {
  generatorVersion: number;
  endMs: number;
  /** Exact row counts where they are known up front, expected counts (rounded) elsewhere. */
  rows: Record<TableName, number>;
  exact: TableName[];
  distribution: typeof DISTRIBUTION;
}

/** At most this many messages per millisecond on average: far below the 4,096 a snowflake allows, even at burst peaks. */
const MAX_MESSAGES_PER_MS = 64;

function deriveUsers(messages: number): number {
  return Math.max(20, Math.round(messages / DISTRIBUTION.messagesPerUser));
}

function deriveServers(users: number): number {
  return Math.max(2, Math.round(users / DISTRIBUTION.usersPerServer));
}

export interface PlanInput {
  messages: number;
  users?: number;
  servers?: number;
  days?: number;
  startMs?: number;
  seed?: number;
}

/** Fills the defaults in; limits are checked by config/ before this (see seedLimits). */
export function planParams(input: PlanInput): ModelParams {
  const users = input.users ?? deriveUsers(input.messages);
  return {
    seed: input.seed ?? DEFAULT_SEED,
    messages: input.messages,
    users,
    servers: input.servers ?? Math.min(users, deriveServers(users)),
    startMs: input.startMs ?? DEFAULT_START_MS,
    days: input.days ?? DEFAULT_DAYS,
  };
}

/** The largest --messages the snowflake scheme can hold over `days`. */
export function maxMessages(days: number): number {
  return Math.min(Number.MAX_SAFE_INTEGER, days * 86_400_000 * MAX_MESSAGES_PER_MS);
}

export const TIME_LIMITS = { minStartMs: SNOWFLAKE_EPOCH_MS, maxEndMs: SNOWFLAKE_MAX_MS };

/** The plan with row counts: exact for most tables; the message children are expected values. */
export function buildPlan(params: ModelParams, model: Model): DataPlan {
  const rows = {} as Record<TableName, number>;
  const exact: TableName[] = [];
  const D = DISTRIBUTION;
  const memberships = model.memberOffset[params.servers];
  for (const t of Object.values(TABLES)) {
    if (t.exactRows) {
      rows[t.name] = t.units(model);
      exact.push(t.name);
    }
  }
  rows.member_roles = Math.round(memberships * 0.3 + Math.min(3, memberships) * params.servers);
  rows.channel_permission_overwrites = Math.round(model.serverChannelCount * 0.3);
  rows.dm_participants = model.dmCount * 2 + model.groupDmCount * 4.5;
  rows.read_states = Math.round(memberships * 4 + model.dmCount * 2 + model.groupDmCount * 4.5);
  rows.user_presence = Math.round(params.users * 0.3);
  rows.message_edits = Math.round(params.messages * D.editRate * 1.15);
  rows.reactions = Math.round(params.messages * 0.3);
  rows.attachments = Math.round(params.messages * D.attachmentRate * 1.3);
  return { ...params, generatorVersion: GENERATOR_VERSION, endMs: model.endMs, rows, exact, distribution: DISTRIBUTION };
}
