// The scenario API: what a file in scenarios/ imports. A scenario is a set of operations (SQL with
// parameters drawn from the seeded data's own laws), how virtual users move between them, and the
// defaults it runs with. It knows nothing of executors, pools or measurements.
import type pg from 'pg';
import type { RowRng } from '../generate/random.ts';
import type { RetentionMethod } from '../schema/retention.ts';

export type { RetentionMethod } from '../schema/retention.ts';

export type OperationKind = 'read' | 'write';

/** What parameters are drawn from: the seeded data, rebuilt from its recorded plan (no scans). */
export interface World {
  /** First and last instant of the seeded data (epoch ms). */
  readonly startMs: number;
  readonly endMs: number;
  readonly messages: number;
  readonly users: number;
  readonly servers: number;
  /** A text channel (server text, DM or group DM) drawn by message activity: hot channels often. */
  hotChannel(rng: RowRng, opts?: { serverOnly?: boolean }): number;
  /** The server of a channel, or null for DMs. */
  serverOf(channelId: number): number | null;
  /** The most active server channel of the data. */
  hottestChannel(): number;
  /** A member of the channel (of its server, or a DM participant), active members more often. */
  memberOf(rng: RowRng, channelId: number): number;
  /** A member of the channel from the given pool, or undefined if the channel has none in it. */
  memberOf(rng: RowRng, channelId: number, pool: 'reader' | 'writer'): number | undefined;
  /** A server drawn by activity (big servers often). */
  hotServer(rng: RowRng): number;
  /** A seeded message (it exists, unless a scenario deleted it): its id, channel and time. */
  message(rng: RowRng): { id: number; channelId: number; createdMs: number };
  /**
   * A user: 'reader' users are never written to by scenarios (answer checks use them), 'writer'
   * users are the ones that send, react and mark as read.
   */
  user(rng: RowRng, pool: 'reader' | 'writer'): number;
  /** A user who has direct messages. */
  dmUser(rng: RowRng, pool: 'reader' | 'writer'): number;
  /** Text for a new message, from the same pools as the data. */
  text(rng: RowRng): string;
  /** A word that occurs in messages (for searches). */
  searchWord(rng: RowRng): string;
  /** The smallest snowflake id of a message created at `ms`. */
  idFloor(ms: number): number;
  /** Virtual time for writes: after all seeded (and earlier scenario) data, advancing with the run. */
  nowMs(): number;
}

/** The run's own choices that scenarios may read (flags of the scenario command). */
export interface RunOptions {
  /** How retention removes old history (--retention-method); variants without range partitions always DELETE. */
  retentionMethod: RetentionMethod;
}

export const DEFAULT_RUN_OPTIONS: RunOptions = Object.freeze({ retentionMethod: 'detach' });

export interface VirtualUser<S> {
  /** 0-based index of this virtual user. */
  readonly id: number;
  readonly options: RunOptions;
  /** This user's own seeded generator: the same sequence on every variant. */
  readonly rng: RowRng;
  readonly world: World;
  /** 'check' draws parameters whose answers writes never change (answer checks); 'load' is the run. */
  readonly mode: 'load' | 'check';
  state: S;
}

/**
 * An operation's answer, decoded only where it is read: the measured path frames the rows without
 * decoding them, so asking for the one value the next step needs (a cursor, a count) costs almost
 * nothing, and a whole row is decoded only when asked for. Valid during `after()` only.
 */
export interface Rows {
  readonly length: number;
  /** Column j of row i (0-based), parsed as node-postgres parses it (bigint ids as numbers, times as text). */
  value(i: number, j: number): unknown;
  /** Row i, every column decoded. */
  row(i: number): unknown[];
}

/** The connection an operation's own run() is given: prepared statements by name, and plain SQL text (several statements in one text run as one implicit transaction). */
export interface OperationConnection {
  query(name: string, sql: string, values: readonly unknown[]): Promise<Rows>;
  simpleQuery(sql: string): Promise<Rows>;
}

export interface OperationDef<S> {
  name: string;
  kind: OperationKind;
  /** Relative frequency when the scenario picks operations by weight. */
  weight?: number;
  /** Parameterised SQL ($1, $2 ...), prepared once per connection; never built from data. */
  sql: string;
  params(vu: VirtualUser<S>): unknown[];
  /**
   * Runs the operation itself instead of `sql` as one prepared statement, for work that takes
   * several statements outside a transaction (retention detaching partitions concurrently); returns
   * the rows `after` sees. `sql` still names it in reports and the audit.
   */
  run?(conn: OperationConnection, params: unknown[]): Promise<unknown[][]>;
  /** Updates the user's state from the answer (e.g. the next keyset cursor): read only what you need. */
  after?(vu: VirtualUser<S>, rows: Rows): void;
  /** The audit requires this query to use an index (no sequential scan of messages). */
  expectIndex?: boolean;
  /** Compare answers across variants before timing (default: true for reads). */
  check?: boolean;
  /** Something to say about this operation on a variant, e.g. "no full-text index: sequential scan". */
  note?(variant: VariantInfo): string | undefined;
}

export interface VariantInfo {
  name: string;
  schema: string;
  /**
   * The period of the variant's range partitions (by created_at or by snowflake id), which must be
   * created ahead of writes with create_message_partitions(); null when it has none (unpartitioned,
   * or a fixed set of hash partitions).
   */
  partitioning: 'week' | 'month' | null;
  /** The column messages are partitioned by: created_at or id (ranges), channel_id (hash), or null. */
  partitionKey: 'created_at' | 'id' | 'channel_id' | null;
  timeIndex: 'btree' | 'brin';
  /** 'partial-covering': the hot message indexes leave soft-deleted rows out. */
  indexes: 'full' | 'partial-covering';
  fullTextSearch: boolean;
  messageCountTrigger: boolean;
}

export interface SetupContext {
  client: pg.Client;
  world: World;
  variant: VariantInfo;
  log(message: string): void;
}

export interface ScenarioDefaults {
  executor: 'closed' | 'open';
  concurrency: number;
  ratePerSec?: number;
  durationMs: number;
  warmupMs: number;
}

export interface ScenarioDef<S> {
  name: string;
  description: string;
  /** The question the scenario answers, in one sentence. */
  question: string;
  operations: OperationDef<S>[];
  /** A virtual user's starting state. */
  state(vu: VirtualUser<S>): S;
  /** The user's next operation (sessions); without it, operations are picked by weight. */
  next?(vu: VirtualUser<S>): string;
  defaults: ScenarioDefaults;
  /** One operation run once, by the runner, at this fraction of the measured phase (retention). */
  event?: { operation: string; atFraction: number };
  /** The run options this scenario reads; the others are refused on its command line. */
  runOptions?: Array<keyof RunOptions>;
  /** Prepares a variant before timing, identically on each (outside all measurements). */
  setup?(ctx: SetupContext): Promise<void>;
  /** Undoes what setup left, if anything. */
  teardown?(ctx: SetupContext): Promise<void>;
}

/** Declares a scenario (a typed identity: the runner validates it when loading). */
export function defineScenario<S>(def: ScenarioDef<S>): ScenarioDef<S> {
  return def;
}

export * as queries from './queries.ts';
export { PURGE_SQL, purgeMessagesBefore } from '../schema/retention.ts';
