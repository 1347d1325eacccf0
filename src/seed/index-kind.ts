// What kind of index a design builds, read from its definition: the design's SQL for the dry run,
// the catalog's definition of each built leaf for the post-load order, so both cost it alike.
import { TABLES, type TableSpec } from '../generate/tables.ts';

/**
 * What decides how long a build takes:
 * - btree-sorted: a B-tree led by a column the generator writes in ascending order (its table's
 *   `ascending` columns: ids, the message's time, a child's message), so the sort finds its keys
 *   in order. Decided from the rows, not from the key being primary: attachments' key leads with a
 *   UUID, read_states' and friendships' with a user in no order, and at 100M they built at a random
 *   key's speed (12.9 s where 4 s had been modelled, 27.5 s for 13 s, 3.0 s for 1.2 s).
 * - btree: a B-tree of keys in random order (channel, author, user, an expression)
 * - btree-sparse: a partial B-tree over the rows where an optional column is set (WHERE x IS NOT
 *   NULL: threads); few entries, so mostly a scan of the heap. A predicate such as
 *   `deleted_at IS NULL` keeps almost every row, and such an index costs as a full one.
 * - brin: a scan of the heap, a summary per block range
 * - gin-array: GIN over a column's elements (the mentions array)
 * - full-text: an index over to_tsvector(...), which parses every row's text
 * - other: any other method (GiST, hash, SP-GiST); no design builds one
 */
export type IndexKind = 'btree-sorted' | 'btree' | 'btree-sparse' | 'brin' | 'gin-array' | 'full-text' | 'other';

export interface IndexDefinition {
  name: string;
  table: string;
  /** The access method (btree when USING names none). */
  method: string;
  /** Key columns and expressions as written. */
  keys: string[];
  /** A partial index's predicate, without WHERE. */
  predicate?: string;
}

const IDENT = String.raw`(?:"(?:[^"]|"")+"|[\w$]+)`;
const QUALIFIED = String.raw`(${IDENT}(?:\.${IDENT})?)`;
const CREATE_INDEX = new RegExp(String.raw`^CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?${QUALIFIED}\s+ON\s+(?:ONLY\s+)?${QUALIFIED}\s*(?:USING\s+(\w+)\s*)?\(`, 'i');
const ADD_KEY = new RegExp(String.raw`^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?${QUALIFIED}\s+ADD\s+CONSTRAINT\s+${QUALIFIED}\s+(PRIMARY\s+KEY|UNIQUE)\s*\(`, 'i');

/** The last part of a possibly qualified, possibly quoted name. */
function bare(name: string): string {
  const parts = name.match(new RegExp(IDENT, 'g')) ?? [name];
  const last = parts[parts.length - 1];
  return last.startsWith('"') ? last.slice(1, -1).replaceAll('""', '"') : last.toLowerCase();
}

/** Splits `text` at top-level commas, or at a keyword (AND, WHERE) standing alone, outside parentheses and quotes. */
function splitTop(text: string, sep: ',' | 'AND' | 'WHERE'): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'" || c === '"') {
      const close = text.indexOf(c, i + 1);
      i = close < 0 ? text.length : close;
    } else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && text.slice(i, i + sep.length).toUpperCase() === sep) {
      // A keyword counts only as a whole word (not the AND of BRAND).
      if (sep !== ',' && (/\w/.test(text[i - 1] ?? '') || /\w/.test(text[i + sep.length] ?? ''))) continue;
      out.push(text.slice(start, i));
      i += sep.length - 1;
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((s) => s.trim()).filter(Boolean);
}

/** The text inside the parenthesis that opens at `open`, and where it closes. */
function group(text: string, open: number): { inner: string; end: number } | undefined {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === "'" || c === '"') {
      const close = text.indexOf(c, i + 1);
      if (close < 0) return undefined;
      i = close;
    } else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return { inner: text.slice(open + 1, i), end: i + 1 };
  }
  return undefined;
}

/**
 * The index a statement creates: `CREATE [UNIQUE] INDEX ...` (as a design writes it or as
 * pg_get_indexdef prints it) or `ALTER TABLE ... ADD CONSTRAINT ... PRIMARY KEY | UNIQUE (...)`;
 * undefined for anything else.
 */
export function parseIndexDefinition(sql: string): IndexDefinition | undefined {
  const text = sql.replace(/\/\*[\s\S]*?\*\//g, '').replace(/--[^\n]*/g, '').trim().replace(/;\s*$/, '');
  const created = CREATE_INDEX.exec(text);
  const key = created ? undefined : ADD_KEY.exec(text);
  const m = created ?? key;
  if (!m) return undefined;
  const g = group(text, m[0].length - 1);
  if (!g) return undefined;
  const keys = splitTop(g.inner, ',');
  if (key) return { name: bare(key[2]), table: bare(key[1]), method: 'btree', keys };
  const where = splitTop(text.slice(g.end), 'WHERE');
  // splitTop keeps what precedes WHERE (INCLUDE, WITH) as its first piece, unless WHERE comes first.
  const predicate = /^\s*WHERE\b/i.test(text.slice(g.end)) ? where[0] : where[1];
  return { name: bare(created![1]), table: bare(created![2]), method: (created![3] ?? 'btree').toLowerCase(), keys, predicate };
}

/** `x IS NOT NULL` (with or without the catalog's parentheses): the rows that have an optional value. */
function onlyRowsWith(predicate: string): boolean {
  const strip = (s: string): string => (/^\(.*\)$/s.test(s) && group(s, 0)?.end === s.length ? strip(s.slice(1, -1).trim()) : s);
  return splitTop(strip(predicate.trim()), 'AND').some((c) => new RegExp(String.raw`^${IDENT}\s+IS\s+NOT\s+NULL$`, 'i').test(strip(c)));
}

/** The column a key is, when it is a bare column (not an expression, not DESC). */
function plainColumn(key: string): string | undefined {
  return new RegExp(String.raw`^${IDENT}$`).test(key.trim()) ? bare(key.trim()) : undefined;
}

/** Columns of `table` the generator writes in ascending order (none for a table it does not generate). */
function ascendingColumns(table: string): readonly string[] {
  return (TABLES as Partial<Record<string, TableSpec>>)[table]?.ascending ?? [];
}

export function indexKind(def: Omit<IndexDefinition, 'name'>): IndexKind {
  if (def.method === 'brin') return 'brin';
  if (def.keys.some((k) => /\bto_tsvector\s*\(/i.test(k))) return 'full-text';
  if (def.method === 'gin') return 'gin-array';
  if (def.method !== 'btree') return 'other';
  if (def.predicate !== undefined && onlyRowsWith(def.predicate)) return 'btree-sparse';
  const leading = plainColumn(def.keys[0] ?? '');
  return leading !== undefined && ascendingColumns(def.table).includes(leading) ? 'btree-sorted' : 'btree';
}

/**
 * The kind of a leaf's build in the post-load plan, from its CREATE INDEX (the catalog's, on the
 * leaf): a leaf's rows are its partitioned table's, in the same order.
 */
export function buildKind(b: { createSql: string; method: string; relation: string; parent?: string }): IndexKind {
  const def = parseIndexDefinition(b.createSql);
  const table = b.parent ?? b.relation;
  return indexKind(def ? { ...def, table } : { table, method: b.method, keys: [] });
}
