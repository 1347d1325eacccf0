// Variants apply and revert cleanly (the catalog is as before), refuse a second apply, export to
// sqlx migrations that build the same catalog, and the audit catches a broken schema.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { SCHEMAS_DIR } from '../src/config/paths.ts';
import { applyVariant, revertVariant } from '../src/schema/apply.ts';
import { auditSchema } from '../src/schema/audit.ts';
import { exportMigrations } from '../src/schema/export.ts';
import { loadVariants, type Variant } from '../src/schema/variants.ts';
import { designIndexes } from '../src/seed/estimate.ts';
import { buildKind, indexKind, type IndexKind } from '../src/seed/index-kind.ts';
import { exportRoundTrip, freshDatabase, oneLineError, runCli, withClient } from './helpers.ts';

const variants = loadVariants(SCHEMAS_DIR);
const RANGE = { fromMs: Date.UTC(2026, 0, 1), toMs: Date.UTC(2026, 2, 1) };
let url = '';

beforeAll(async () => {
  url = await freshDatabase('cbtest_schema');
});

/** Every object of the database outside the system schemas, for before/after comparisons. */
async function wholeCatalog(c: pg.Client): Promise<string[]> {
  const r = await c.query(`
    SELECT 'schema ' || nspname AS o FROM pg_namespace WHERE nspname NOT LIKE 'pg_%' AND nspname <> 'information_schema'
    UNION ALL SELECT 'rel ' || n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT LIKE 'pg_%' AND n.nspname <> 'information_schema'
    UNION ALL SELECT 'proc ' || n.nspname || '.' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT LIKE 'pg_%' AND n.nspname <> 'information_schema'
    UNION ALL SELECT 'type ' || n.nspname || '.' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname NOT LIKE 'pg_%' AND n.nspname <> 'information_schema'
    ORDER BY 1`);
  return r.rows.map((x) => x.o);
}

/**
 * Each index of an applied design on a table or leaf: the kind the post-load order gives it (from the
 * catalog's definition, as the plan reads it) and the kind the dry run gives it (from the design's SQL).
 */
async function kindsBothWays(c: pg.Client, v: Variant): Promise<Array<{ index: string; built: IndexKind; designed: IndexKind }>> {
  const defs = designIndexes(v);
  const r = await c.query(
    `SELECT coalesce(pi.relname, i.relname) AS design_index, t.relname AS relation, pt.relname AS parent, pg_get_indexdef(i.oid) AS def, am.amname AS method
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid JOIN pg_am am ON am.oid = i.relam
       LEFT JOIN pg_inherits hi ON hi.inhrelid = i.oid LEFT JOIN pg_class pi ON pi.oid = hi.inhparent
       LEFT JOIN pg_inherits ht ON ht.inhrelid = t.oid LEFT JOIN pg_class pt ON pt.oid = ht.inhparent
      WHERE t.relnamespace = $1::regnamespace AND i.relkind = 'i'`,
    [v.schema],
  );
  return r.rows
    .filter((x) => defs.has(x.design_index))
    .map((x) => ({ index: x.def, built: buildKind({ createSql: x.def, method: x.method, relation: x.relation, parent: x.parent ?? undefined }), designed: indexKind(defs.get(x.design_index)!) }));
}

describe('apply and revert', () => {
  it.each(variants.map((v) => v.name))('%s: up then down leaves the catalog as it was; up twice is refused; each index built costs as the design\'s SQL says', async (name) => {
    const v = variants.find((x) => x.name === name)!;
    await withClient(url, async (c) => {
      const before = await wholeCatalog(c);
      await applyVariant(c, v, RANGE);
      const during = await wholeCatalog(c);
      expect(during.length).toBeGreaterThan(before.length + 20);
      // The post-load order and the dry run cost every index of the design alike (index-kind.ts).
      const kinds = await kindsBothWays(c, v);
      expect(kinds.length).toBeGreaterThanOrEqual(designIndexes(v).size);
      expect(kinds.filter((k) => k.built !== k.designed)).toEqual([]);
      await expect(applyVariant(c, v, RANGE)).rejects.toThrow(/already applied/);
      expect(await wholeCatalog(c)).toEqual(during); // the refused apply changed nothing
      expect((await revertVariant(c, v)).reverted).toBe(true);
      expect(await wholeCatalog(c)).toEqual(before);
    });
  });

  it('never drops a schema it did not create, and a revert fails rather than drop foreign objects', async () => {
    const v = variants.find((x) => x.name === 'btree-monthly')!;
    await withClient(url, async (c) => {
      await c.query(`CREATE SCHEMA ${v.schema}`);
      await c.query(`CREATE TABLE ${v.schema}.precious (x int)`);
      await expect(applyVariant(c, v, RANGE)).rejects.toThrow(/was not created by chatbench/);
      await expect(revertVariant(c, v)).rejects.toThrow(/was not created by chatbench/);
      expect((await c.query(`SELECT count(*)::int AS n FROM ${v.schema}.precious`)).rows[0].n).toBe(0);
      await c.query(`DROP SCHEMA ${v.schema} CASCADE`);
      await applyVariant(c, v, RANGE);
      await c.query(`CREATE TABLE ${v.schema}.mine (x int)`);
      await expect(revertVariant(c, v)).rejects.toThrow(/still holds objects chatbench did not create/);
      await c.query(`DROP TABLE ${v.schema}.mine`);
      expect((await revertVariant(c, v)).reverted).toBe(true);
    });
  });

  it('the CLI applies, lists and reverts', async () => {
    const apply = await runCli(['schema', 'apply', '--variant', 'brin-weekly', '--db', url]);
    expect(apply.code, apply.stderr).toBe(0);
    const list = await runCli(['schema', 'list', '--db', url, '--json']);
    expect(JSON.parse(list.stdout).variants.find((v: { name: string }) => v.name === 'brin-weekly').state).toBe('applied (empty)');
    const twice = await runCli(['schema', 'apply', '--variant', 'brin-weekly', '--db', url]);
    expect(twice.code).toBe(2);
    expect(oneLineError(twice.stderr)).toMatch(/already applied .*revert it first/);
    const revert = await runCli(['schema', 'revert', '--variant', 'all', '--db', url]);
    expect(revert.code, revert.stderr).toBe(0);
  });
});

describe('sqlx export', () => {
  it('writes numbered up and down files, refuses a folder that is not empty, and the folder round-trips', async () => {
    const v = variants.find((x) => x.name === 'brin-weekly')!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatbench-export-'));
    const out = path.join(dir, 'migrations');
    const r = await runCli(['schema', 'export', '--variant', v.name, '--out', out, '--start', '2026-01-01', '--days', '59']);
    expect(r.code, r.stderr).toBe(0);
    const files = fs.readdirSync(out).sort();
    expect(files.every((f) => /^\d{14}_[a-z_]+\.(up|down)\.sql$/.test(f))).toBe(true);
    expect(files.filter((f) => f.endsWith('.up.sql')).length).toBe(files.filter((f) => f.endsWith('.down.sql')).length);
    // refuses to overwrite
    const again = await runCli(['schema', 'export', '--variant', v.name, '--out', out]);
    expect(again.code).toBe(2);
    expect(oneLineError(again.stderr)).toMatch(/not empty/);
    const trip = await withClient(url, (c) => exportRoundTrip(c, v, files.map((f) => [f, fs.readFileSync(path.join(out, f), 'utf8')]), RANGE));
    expect(trip).toEqual({ diff: [], left: 0 });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // The same files the command writes (exportMigrations), without a process per variant.
  it.each(variants.filter((v) => v.name !== 'brin-weekly').map((v) => v.name))('%s: the exported migrations build the catalog the variant builds, and their downs empty it', async (name) => {
    const v = variants.find((x) => x.name === name)!;
    const files = exportMigrations(v, RANGE).map((m): [string, string] => [m.file, m.sql]);
    expect(await withClient(url, (c) => exportRoundTrip(c, v, files, RANGE))).toEqual({ diff: [], left: 0 });
  });
});

describe('the audit', () => {
  it('passes every shipped variant (built in a throwaway schema), leaving nothing behind', async () => {
    const before = await withClient(url, wholeCatalog);
    const r = await runCli(['check', '--db', url, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.passed).toBe(true);
    expect(out.reports.length).toBe(variants.length);
    for (const rep of out.reports) expect(rep.checked['soft-delete-filter']).toBeGreaterThan(5);
    expect(await withClient(url, wholeCatalog)).toEqual(before);
  });

  it('reports a foreign key without an index and a timestamp column, and exits 1', async () => {
    await withClient(url, async (c) => {
      await c.query('DROP SCHEMA IF EXISTS broken CASCADE');
      await c.query(`CREATE SCHEMA broken;
        CREATE TABLE broken.users (id bigint PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now());
        CREATE TABLE broken.posts (id bigint PRIMARY KEY, author_id bigint REFERENCES broken.users (id), posted timestamp, created_at timestamptz NOT NULL DEFAULT now());`);
    });
    const r = await runCli(['check', '--schema', 'broken', '--db', url]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/fk-index\s+posts\(author_id\)\s+foreign key posts_author_id_fkey has no index/);
    expect(r.stdout).toMatch(/timestamptz\s+posts\(posted\)\s+posts\.posted is timestamp without time zone/);
    expect(r.stdout).toMatch(/fix: CREATE INDEX ON posts \(author_id\);/);
    expect(oneLineError(r.stderr)).toMatch(/the schema audit found 2 problem/);
    const json = await runCli(['check', '--schema', 'broken', '--db', url, '--json']);
    expect(JSON.parse(json.stdout).reports[0].findings.map((f: { rule: string }) => f.rule).sort()).toEqual(['fk-index', 'timestamptz']);
  });

  it('reads partitions by snowflake id and by hash: a missing week of ids and a missing remainder are found, and pruning is judged on the partition key', async () => {
    await withClient(url, async (c) => {
      for (const name of ['btree-idrange-weekly', 'hash-channel-16']) {
        const v = variants.find((x) => x.name === name)!;
        await applyVariant(c, v, RANGE);
        await c.query('BEGIN');
        try {
          const clean = await auditSchema(c, v.schema, { seeded: false, range: RANGE, queries: [] });
          expect(clean.findings, name).toEqual([]);
          expect(clean.checked['partition-pruning'], name).toBe(1);
          await c.query(name === 'hash-channel-16' ? `ALTER TABLE ${v.schema}.messages DETACH PARTITION ${v.schema}.messages_h07` : `ALTER TABLE ${v.schema}.messages DETACH PARTITION ${v.schema}.messages_p20260119`);
          const broken = await auditSchema(c, v.schema, { seeded: false, range: RANGE, queries: [] });
          expect(broken.findings.map((f) => `${f.rule} ${f.message}`), name).toEqual([
            name === 'hash-channel-16'
              ? 'partition-coverage messages has hash partitions missing remainders 7 of 16: rows hashing there have no partition'
              : `partition-coverage messages has no partition for 2026-01-19T00:00:00.000Z (id ${(BigInt(Date.UTC(2026, 0, 19) - Date.UTC(2020, 0, 1)) * 4096n).toString()}) (data runs to 2026-03-01T00:00:00.000Z)`,
          ]);
        } finally {
          await c.query('ROLLBACK');
          await revertVariant(c, v);
        }
      }
    });
  });

  it('a variant applied from an older definition (no snowflake_ceil) is checked as the current design, naming the command that updates it', async () => {
    const v = variants.find((x) => x.name === 'btree-unpartitioned')!;
    await withClient(url, async (c) => {
      await applyVariant(c, v, RANGE);
      // What a schema applied before snowflake_ceil existed looks like: no function, another hash.
      await c.query(`DROP FUNCTION ${v.schema}.snowflake_ceil(timestamptz)`);
      await c.query(`UPDATE chatbench.variants SET definition_hash = 'older' WHERE variant = $1`, [v.name]);
    });
    try {
      const r = await runCli(['check', '--variant', v.name, '--db', url, '--json']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const rep = JSON.parse(r.stdout).reports[0];
      expect(rep.how).toMatch(/older definition of schemas\/; "chatbench schema revert --variant btree-unpartitioned --force, then schema apply --variant btree-unpartitioned"/);
      expect(rep.checked['soft-delete-filter']).toBeGreaterThan(5);
    } finally {
      await withClient(url, (c) => revertVariant(c, v, { force: true }));
    }
  });

  it('db url --variant lands in the variant\'s tables', async () => {
    expect((await runCli(['schema', 'apply', '--variant', 'btree-weekly', '--db', url])).code).toBe(0);
    const u = await runCli(['db', 'url', '--variant', 'btree-weekly', '--db', url]);
    expect(u.code).toBe(0);
    const env = { ...process.env, PGPASSWORD: decodeURIComponent(new URL(url).password) };
    const r = spawnSync('psql', ['-X', '-At', u.stdout.trim(), '-c', 'select count(*) from messages'], { encoding: 'utf8', env });
    expect(r.stdout.trim(), r.stderr).toBe('0');
    await runCli(['schema', 'revert', '--variant', 'btree-weekly', '--db', url]);
  });
});
