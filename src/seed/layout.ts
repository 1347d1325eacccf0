// Where each generated table's rows go in a variant, read from the catalog after the pre-load
// phase: a plain table, the leaves of a table partitioned by range or hash of one integer or time
// column (rows routed here, so each leaf can be truncated and loaded with COPY FREEZE in its own
// transaction), or a partitioned parent whose partitioning chatbench cannot route (list, several
// key columns, sub-partitions: the server routes, and the leaves are listed for the maintenance).
import pg from 'pg';
import type { ColumnKind } from '../copy/rows.ts';
import { TABLES, type TableName } from '../generate/tables.ts';
import { hashRemainder } from './hash-partition.ts';

export interface Leaf {
  /** The relation rows are COPYed into: a leaf partition, the table itself, or the partitioned parent. */
  relation: string;
  /** [from, to) in the key column's unit (microseconds since 2000-01-01 for timestamps); -/+Infinity for MINVALUE/MAXVALUE. */
  from: number;
  to: number;
  isDefault: boolean;
  /** Hash partitions: rows whose key hashes to `remainder` modulo `modulus` (hash-partition.ts). */
  modulus?: number;
  remainder?: number;
}

/** Hash partitions the loader fills itself, each on its own connection; more load through the parent. */
export const HASH_ROUTED_MAX_LEAVES = 8;

export interface TableLayout {
  table: TableName;
  /** plain: one table; routed: rows routed here to range or hash leaves; parent: COPY into the partitioned parent. */
  kind: 'plain' | 'routed' | 'parent';
  /** How routed leaves are chosen. */
  strategy?: 'range' | 'hash';
  /** The leaf partitions of a table loaded through its parent (the catalog's), for per-leaf maintenance. */
  partitions?: string[];
  unlogged: boolean;
  leaves: Leaf[];
  /** For routed tables: the partition key's position in the generator's column list and how to read it. */
  keyColumn?: number;
  keyKind?: ColumnKind;
  keyName?: string;
  /** Why a partitioned table is loaded through its parent. */
  reason?: string;
}

const TIME_TYPES = ['timestamp with time zone', 'timestamp without time zone'];
const INT_TYPES = ['bigint', 'integer', 'smallint'];

/** The layout of every generated table of a variant's schema (search_path independent). */
export async function readLayouts(client: pg.ClientBase, schema: string): Promise<Map<TableName, TableLayout>> {
  const names = Object.keys(TABLES);
  const r = await client.query<{ relname: TableName; relkind: string; relpersistence: string; strategy: string | null; keys: string[] | null; key_types: string[] | null; has_exprs: boolean | null; default_class: boolean | null }>(
    `SELECT c.relname, c.relkind, c.relpersistence, pt.partstrat AS strategy,
            (SELECT bool_and(o.opcdefault) FROM unnest(pt.partclass::oid[]) k(cls) JOIN pg_opclass o ON o.oid = k.cls) AS default_class,
            (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(pt.partattrs::int2[]) WITH ORDINALITY k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = k.attnum) AS keys,
            (SELECT array_agg(format_type(a.atttypid, a.atttypmod) ORDER BY k.ord) FROM unnest(pt.partattrs::int2[]) WITH ORDINALITY k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = k.attnum) AS key_types,
            pt.partexprs IS NOT NULL AS has_exprs
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_partitioned_table pt ON pt.partrelid = c.oid
      WHERE n.nspname = $1 AND c.relname = ANY($2) AND c.relkind IN ('r', 'p')`,
    [schema, names],
  );
  const out = new Map<TableName, TableLayout>();
  for (const row of r.rows) {
    const base = { table: row.relname, unlogged: row.relpersistence === 'u' };
    if (row.relkind === 'r') {
      out.set(row.relname, { ...base, kind: 'plain', leaves: [{ relation: row.relname, from: -Infinity, to: Infinity, isDefault: false }] });
      continue;
    }
    const parent = { ...base, kind: 'parent' as const, leaves: [{ relation: row.relname, from: -Infinity, to: Infinity, isDefault: false }] };
    const keyType = row.key_types?.[0] ?? '';
    const keyColumn = TABLES[row.relname].columns.indexOf(row.keys?.[0] ?? '');
    const hash = row.strategy === 'h';
    const reason =
      row.strategy !== 'r' && !hash ? 'list partitions'
      : row.has_exprs || (row.keys?.length ?? 0) !== 1 ? 'a partition key that is not one column'
      : keyColumn < 0 ? `a partition key (${row.keys?.[0]}) the generator does not write`
      : hash && (!INT_TYPES.includes(keyType) || !row.default_class) ? `hash partitions of a ${keyType} key${row.default_class ? '' : ' with its own operator class'}`
      : !TIME_TYPES.includes(keyType) && !INT_TYPES.includes(keyType) ? `a partition key of type ${keyType}`
      : undefined;
    const partitions = async () => (await client.query<{ relname: string }>(`SELECT c.relname FROM pg_partition_tree(format('%I.%I', $1::text, $2::text)::regclass) t JOIN pg_class c ON c.oid = t.relid WHERE t.isleaf ORDER BY 1`, [schema, row.relname])).rows.map((x) => x.relname);
    if (reason) {
      out.set(row.relname, { ...parent, reason, partitions: await partitions() });
      continue;
    }
    const leaves = await partitionLeaves(client, schema, row.relname, TIME_TYPES.includes(keyType));
    if (hash && leaves && leaves.length > HASH_ROUTED_MAX_LEAVES) {
      // Hash leaves fill side by side for the whole load, each on its own connection: beyond a few,
      // a seed of several designs would run out of the server's connections.
      out.set(row.relname, { ...parent, reason: `${leaves.length} hash partitions (more than ${HASH_ROUTED_MAX_LEAVES} would each hold a connection for the whole load)`, partitions: await partitions() });
      continue;
    }
    if (!leaves) {
      out.set(row.relname, { ...parent, reason: 'sub-partitions', partitions: await partitions() });
      continue;
    }
    out.set(row.relname, { ...base, kind: 'routed', strategy: hash ? 'hash' : 'range', leaves, keyColumn, keyKind: TIME_TYPES.includes(keyType) ? 'timestamptz' : 'int', keyName: row.keys![0] });
  }
  return out;
}

/** Range or hash leaves of a partitioned table with numeric bounds, or undefined if it has sub-partitions. */
async function partitionLeaves(client: pg.ClientBase, schema: string, table: string, time: boolean): Promise<Leaf[] | undefined> {
  // Bounds are converted by the server (time zones, literal forms), to PostgreSQL's microseconds for timestamps.
  const convert = (v: string) =>
    `CASE WHEN ${v} IS NULL OR ${v} IN ('MINVALUE', 'MAXVALUE') THEN NULL
          ELSE ${time ? `((extract(epoch FROM btrim(${v}, '''')::timestamptz) * 1000000)::numeric - 946684800000000)` : `btrim(${v}, '''')::numeric`}::text END`;
  const r = await client.query<{ relname: string; isleaf: boolean; level: number; bound: string; lo: string | null; hi: string | null; lo_kind: string | null; hi_kind: string | null; modulus: string | null; remainder: string | null }>(
    `SELECT c.relname, t.isleaf, t.level, pg_get_expr(c.relpartbound, c.oid) AS bound,
            ${convert('m[1]')} AS lo, ${convert('m[2]')} AS hi, m[1] AS lo_kind, m[2] AS hi_kind, h[1] AS modulus, h[2] AS remainder
       FROM pg_partition_tree(format('%I.%I', $1::text, $2::text)::regclass) t
       JOIN pg_class c ON c.oid = t.relid
       LEFT JOIN LATERAL regexp_match(pg_get_expr(c.relpartbound, c.oid), '^FOR VALUES FROM \\((.+)\\) TO \\((.+)\\)$') m ON true
       LEFT JOIN LATERAL regexp_match(pg_get_expr(c.relpartbound, c.oid), '^FOR VALUES WITH \\(modulus (\\d+), remainder (\\d+)\\)$', 'i') h ON true
      WHERE t.level > 0
      ORDER BY c.relname`,
    [schema, table],
  );
  if (r.rows.some((x) => x.level > 1 || !x.isleaf)) return undefined;
  return r.rows.map((x) => {
    const isDefault = x.bound === 'DEFAULT';
    if (x.modulus !== null) return { relation: x.relname, isDefault: false, from: -Infinity, to: Infinity, modulus: Number(x.modulus), remainder: Number(x.remainder) };
    return {
      relation: x.relname,
      isDefault,
      from: isDefault || x.lo_kind === 'MINVALUE' ? -Infinity : Number(x.lo),
      to: isDefault || x.hi_kind === 'MAXVALUE' ? Infinity : Number(x.hi),
    };
  });
}

/**
 * The leaf (index into layout.leaves) a key value goes to: the range that holds it, else the
 * default partition, else -1 (the server would refuse the row). `hint` is the last answer: rows
 * come in key order, so it is usually right.
 */
export function routeKey(leaves: readonly Leaf[], key: number, hint = -1): number {
  if (hint >= 0 && hint < leaves.length && !leaves[hint].isDefault && key >= leaves[hint].from && key < leaves[hint].to) return hint;
  let def = -1;
  for (let i = 0; i < leaves.length; i++) {
    const l = leaves[i];
    if (l.isDefault) def = i;
    else if (key >= l.from && key < l.to) return i;
  }
  return def;
}

/**
 * The hash leaf (index into leaves) of each key: the partition whose modulus and remainder the key's
 * hash matches, or -1 (no such partition: the server would refuse the row).
 */
export function routeHash(leaves: readonly Leaf[], keys: Float64Array, from: number, to: number, out: Int32Array): void {
  const moduli = [...new Set(leaves.map((l) => l.modulus!))];
  // Leaf by remainder, per modulus (one hash per key and modulus).
  const byRemainder = moduli.map((m) => {
    const a = new Int32Array(m).fill(-1);
    leaves.forEach((l, i) => {
      if (l.modulus === m) a[l.remainder!] = i;
    });
    return a;
  });
  for (let r = from; r < to; r++) {
    let leaf = -1;
    for (let j = 0; j < moduli.length && leaf < 0; j++) leaf = byRemainder[j][hashRemainder(keys[r], moduli[j])];
    out[r - from] = leaf;
  }
}
