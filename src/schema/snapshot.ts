// A normalised picture of one schema's catalog (tables, columns, constraints, indexes, triggers,
// functions, sequences, comments) with the schema name factored out, so two schemas built two ways
// (applied directly, or from an exported sqlx folder) can be compared for equality.
import type pg from 'pg';

export interface CatalogSnapshot {
  relations: string[];
  columns: string[];
  constraints: string[];
  indexes: string[];
  triggers: string[];
  functions: string[];
  comments: string[];
}

export async function catalogSnapshot(client: pg.ClientBase, schema: string): Promise<CatalogSnapshot> {
  const q = async (sql: string) => {
    const r = await client.query<{ line: string }>(sql, [schema]);
    return r.rows.map((x) => x.line.split(`${schema}.`).join('$schema.').split(`"${schema}".`).join('$schema.')).sort();
  };
  return {
    relations: await q(`
      SELECT c.relname || ' ' || c.relkind::text || ' ' || c.relpersistence::text
             || coalesce(' partition by ' || pg_get_partkeydef(c.oid), '')
             || coalesce(' bound ' || pg_get_expr(c.relpartbound, c.oid), '') AS line
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'S', 'v', 'm', 'f')`),
    columns: await q(`
      SELECT c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
             || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
             || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
             || CASE a.attidentity WHEN '' THEN '' ELSE ' identity ' || a.attidentity::text END
             || CASE a.attgenerated WHEN '' THEN '' ELSE ' generated ' || a.attgenerated::text END AS line
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped`),
    constraints: await q(`
      SELECT c.relname || ' ' || con.conname || ' ' || con.contype::text || ' ' || pg_get_constraintdef(con.oid) AS line
        FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1`),
    indexes: await q(`
      SELECT pg_get_indexdef(i.indexrelid) AS line
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1`),
    triggers: await q(`
      SELECT pg_get_triggerdef(t.oid) AS line
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND NOT t.tgisinternal`),
    functions: await q(`
      SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') ' || pg_get_function_result(p.oid)
             || ' ' || p.provolatile::text || ' ' || md5(p.prosrc) AS line
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = $1`),
    comments: await q(`
      SELECT c.relname || coalesce('.' || a.attname, '') || ': ' || d.description AS line
        FROM pg_description d
        JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid AND d.objsubid > 0
       WHERE n.nspname = $1
      UNION ALL
      SELECT p.proname || '(): ' || d.description
        FROM pg_description d JOIN pg_proc p ON p.oid = d.objoid AND d.classoid = 'pg_proc'::regclass
        JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = $1`),
  };
}

/** Lines present in one snapshot and not the other, prefixed with - (only in a) or + (only in b). */
export function diffSnapshots(a: CatalogSnapshot, b: CatalogSnapshot): string[] {
  const out: string[] = [];
  for (const key of Object.keys(a) as Array<keyof CatalogSnapshot>) {
    const sa = new Set(a[key]);
    const sb = new Set(b[key]);
    for (const x of a[key]) if (!sb.has(x)) out.push(`- ${key}: ${x}`);
    for (const x of b[key]) if (!sa.has(x)) out.push(`+ ${key}: ${x}`);
  }
  return out;
}
