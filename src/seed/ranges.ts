// The verification ranges of each table: its rows split by a key column into ranges about the size
// of a load chunk. While loading, the seeder counts the rows and sums the keys it sends into each
// range; the verification step asks the server for the same per range, so a lost, duplicated or
// misplaced chunk shows as a range whose count or sum differs. Pure: both sides use rangeOf().
import { SNOWFLAKE_EPOCH_MS, SNOWFLAKE_SEQ_BITS, type Model } from '../generate/model.ts';
import { MESSAGE_FAMILY, TABLES, type TableName } from '../generate/tables.ts';

export interface RangeSpec {
  table: TableName;
  /** The key column: its position in the generator's column list and its name. */
  column: number;
  columnName: string;
  /** Range r holds keys [lo + r * width, lo + (r + 1) * width); keys outside go to the first or last range. */
  lo: number;
  width: number;
  count: number;
}

/** Sums of keys are taken modulo 2^32, so they stay exact in a double and in a bigint. */
export const KEY_SUM_MODULUS = 4294967296;

/** The integer column each table is counted by, and the largest value it takes, from the model. */
function keyOf(m: Model, table: TableName): { column: string; lo: number; hi: number } {
  if (MESSAGE_FAMILY.includes(table)) {
    const seq = 2 ** SNOWFLAKE_SEQ_BITS;
    return { column: table === 'messages' ? 'id' : 'message_id', lo: (m.params.startMs - SNOWFLAKE_EPOCH_MS) * seq, hi: (m.endMs - SNOWFLAKE_EPOCH_MS + 1) * seq };
  }
  const users = m.params.users;
  const byTable: Record<string, [string, number]> = {
    users: ['id', users],
    servers: ['id', m.params.servers],
    server_members: ['server_id', m.params.servers],
    roles: ['id', m.roleCount],
    member_roles: ['server_id', m.params.servers],
    channels: ['id', m.channelCount],
    channel_permission_overwrites: ['id', m.serverChannelCount * 3 + 3],
    dm_participants: ['channel_id', m.channelCount],
    friendships: ['user_low', users],
    read_states: ['user_id', users],
    user_presence: ['user_id', users],
  };
  const [column, hi] = byTable[table];
  return { column, lo: 1, hi: hi + 1 };
}

export function rangeSpec(m: Model, table: TableName): RangeSpec {
  const { column, lo, hi } = keyOf(m, table);
  const spec = TABLES[table];
  const units = spec.units(m);
  const count = Math.max(1, Math.ceil(units / spec.unitsPerChunk));
  const width = Math.max(1, Math.ceil((hi - lo) / count));
  const index = spec.columns.indexOf(column);
  if (index < 0) throw new Error(`${table} has no column ${column}`);
  return { table, column: index, columnName: column, lo, width, count };
}

/** The range a key falls in (both the loader and the server's query compute exactly this). */
export function rangeOf(s: RangeSpec, key: number): number {
  const r = Math.floor((key - s.lo) / s.width);
  return r < 0 ? 0 : r >= s.count ? s.count - 1 : r;
}

/** Per-range row counts and key sums, as the loader accumulates them for one relation. */
export class RangeCounts {
  readonly rows: Float64Array;
  readonly sums: Float64Array;
  constructor(readonly spec: RangeSpec) {
    this.rows = new Float64Array(spec.count);
    this.sums = new Float64Array(spec.count);
  }
  add(keys: Float64Array, from = 0, to = keys.length): void {
    const s = this.spec;
    for (let i = from; i < to; i++) {
      const k = keys[i];
      const r = rangeOf(s, k);
      this.rows[r]++;
      this.sums[r] = (this.sums[r] + (k % KEY_SUM_MODULUS)) % KEY_SUM_MODULUS;
    }
  }
  /** The ranges that received rows: [range, rows, keySum]. */
  entries(): Array<[number, number, number]> {
    const out: Array<[number, number, number]> = [];
    for (let r = 0; r < this.rows.length; r++) if (this.rows[r] > 0) out.push([r, this.rows[r], this.sums[r]]);
    return out;
  }
}

/** The server's side of rangeOf() and of the sums, over a table or leaf `rel` (already quoted). */
export function rangeQuery(s: RangeSpec, rel: string): string {
  const k = s.columnName;
  // bigint division truncates toward zero: floor for keys at or above lo, and the clamp takes the rest.
  return `SELECT least(greatest((${k} - ${s.lo}::bigint) / ${s.width}::bigint, 0), ${s.count - 1})::int AS range,
                 count(*)::bigint AS rows, (sum(${k} % ${KEY_SUM_MODULUS}) % ${KEY_SUM_MODULUS})::bigint AS key_sum
            FROM ${rel} GROUP BY 1`;
}

/** Key bounds [from, to) of range r, for a range query by index. */
export function rangeBounds(s: RangeSpec, r: number): [number, number] {
  return [r === 0 ? -Infinity : s.lo + r * s.width, r === s.count - 1 ? Infinity : s.lo + (r + 1) * s.width];
}

export interface RangeMismatch {
  table: TableName;
  range: number;
  keyFrom: number;
  keyTo: number;
  expectedRows: number;
  actualRows: number;
  expectedSum: number;
  actualSum: number;
}

/** Ranges whose counts or sums differ between what was sent and what the server holds. */
export function compareRanges(s: RangeSpec, expected: Map<number, [number, number]>, actual: Map<number, [number, number]>): RangeMismatch[] {
  const out: RangeMismatch[] = [];
  const all = new Set([...expected.keys(), ...actual.keys()]);
  for (const r of [...all].sort((a, b) => a - b)) {
    const [er, es] = expected.get(r) ?? [0, 0];
    const [ar, as] = actual.get(r) ?? [0, 0];
    if (er !== ar || es !== as) {
      const [keyFrom, keyTo] = rangeBounds(s, r);
      out.push({ table: s.table, range: r, keyFrom, keyTo, expectedRows: er, actualRows: ar, expectedSum: es, actualSum: as });
    }
  }
  return out;
}
