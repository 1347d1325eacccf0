// The benchmarks' shared parts against real servers of both versions. (The benchmarks themselves
// run for minutes and are measurements, not tests: `npm run bench`; their flags are checked in
// bad-input.test.ts.)
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import copyStreams from 'pg-copy-streams';
import { dropScratch, prewarmMessages } from '../src/bench/common.ts';
import { prepare } from '../src/bench/ingest.ts';
import { SCHEMAS_DIR } from '../src/config/paths.ts';
import { openTarget, type Target } from '../src/db/target.ts';
import { loadModel } from '../src/generate/model.ts';
import { planParams } from '../src/generate/plan.ts';
import { TABLES } from '../src/generate/tables.ts';
import { findVariant, loadVariants } from '../src/schema/variants.ts';
import { generateChunk } from '../src/seed/load.ts';
import { serverKinds, startTestServer, type TestServer } from './servers.ts';

// On the embedded server only: the benchmarks run there by default, and pg_prewarm is the same on 15.
describe('embedded PostgreSQL 18', () => {
  const kind = serverKinds()[0];
  let server: TestServer | undefined;
  let admin: pg.Client;

  beforeAll(async () => {
    server = await startTestServer(kind, path.join(inject('testHome'), 'bench'));
    await server.start();
    admin = new pg.Client({ connectionString: server.url() });
    await admin.connect();
    // A design's messages as partitions with their indexes, and tables whose names only start alike.
    await admin.query(`DROP SCHEMA IF EXISTS cbtest_prewarm CASCADE; CREATE SCHEMA cbtest_prewarm;
      CREATE TABLE cbtest_prewarm.messages (id bigint, channel_id bigint, body text, PRIMARY KEY (id)) PARTITION BY RANGE (id);
      CREATE TABLE cbtest_prewarm.messages_p1 PARTITION OF cbtest_prewarm.messages FOR VALUES FROM (0) TO (20000);
      CREATE TABLE cbtest_prewarm.messages_p2 PARTITION OF cbtest_prewarm.messages FOR VALUES FROM (20000) TO (40000);
      CREATE INDEX ON cbtest_prewarm.messages (channel_id, id);
      INSERT INTO cbtest_prewarm.messages SELECT g, g % 97, repeat('x', 40) FROM generate_series(0, 39999) g;
      CREATE TABLE cbtest_prewarm.message_edits (id bigint, body text);
      INSERT INTO cbtest_prewarm.message_edits SELECT g, repeat('y', 40) FROM generate_series(1, 5000) g;
      CREATE TABLE cbtest_prewarm.messages_archive (id bigint PRIMARY KEY, body text);
      INSERT INTO cbtest_prewarm.messages_archive SELECT g, repeat('z', 40) FROM generate_series(1, 5000) g;`);
    // A design whose messages are one table (btree-unpartitioned), with a TOASTed body.
    await admin.query(`DROP SCHEMA IF EXISTS cbtest_prewarm_flat CASCADE; CREATE SCHEMA cbtest_prewarm_flat;
      CREATE TABLE cbtest_prewarm_flat.messages (id bigint PRIMARY KEY, channel_id bigint, body text);
      CREATE INDEX ON cbtest_prewarm_flat.messages (channel_id, id);
      INSERT INTO cbtest_prewarm_flat.messages SELECT g, g % 97, CASE WHEN g % 500 = 0 THEN (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 200) i) ELSE repeat('x', 40) END FROM generate_series(0, 19999) g;
      CREATE TABLE cbtest_prewarm_flat.messages_archive (id bigint PRIMARY KEY, body text);
      INSERT INTO cbtest_prewarm_flat.messages_archive SELECT g, repeat('z', 40) FROM generate_series(1, 5000) g;`);
  }, 60_000);

  afterAll(async () => {
    await admin?.end();
    await server?.destroy();
  });

  const withTarget = async <T>(url: string, f: (t: Target) => Promise<T>): Promise<T> => {
    const target = await openTarget({ kind: 'url', url: new URL(url) });
    try {
      return await f(target);
    } finally {
      await target.close();
    }
  };
  const blocksOf = async (sql: string) => Number((await admin.query(sql)).rows[0].b);

  it('reads every block of a design\'s message partitions and their indexes, and nothing else', async () => {
    const expected = await blocksOf(`SELECT sum(pg_relation_size(c.oid) / 8192)::bigint AS b FROM pg_class c
      WHERE c.relnamespace = 'cbtest_prewarm'::regnamespace AND c.relname ~ '^messages_p[12]' AND c.relkind IN ('r', 'i')`);
    const others = await blocksOf(`SELECT ((pg_relation_size('cbtest_prewarm.message_edits') + pg_total_relation_size('cbtest_prewarm.messages_archive')) / 8192)::bigint AS b`);
    // each partition's TOAST table and its index (a metapage even when empty)
    const toast = await blocksOf(`SELECT sum((pg_relation_size(c.reltoastrelid) + pg_relation_size(i.indexrelid)) / 8192)::bigint AS b FROM pg_class c
      JOIN pg_index i ON i.indrelid = c.reltoastrelid WHERE c.relnamespace = 'cbtest_prewarm'::regnamespace AND c.relname ~ '^messages_p[12]$'`);
    expect(expected).toBeGreaterThan(100);
    expect(toast).toBeGreaterThanOrEqual(2);
    expect(others).toBeGreaterThan(20);
    expect(await withTarget(server!.url(), (t) => prewarmMessages(t, 'cbtest_prewarm'))).toBe(expected + toast);
  });

  it('reads a design whose messages are one table: its heap, indexes, TOAST table and TOAST index (pg_partition_tree lists nothing for a plain table)', async () => {
    const toast = await blocksOf(`SELECT ((pg_relation_size(c.reltoastrelid) + pg_relation_size(i.indexrelid)) / 8192)::bigint AS b FROM pg_class c
      JOIN pg_index i ON i.indrelid = c.reltoastrelid WHERE c.oid = 'cbtest_prewarm_flat.messages'::regclass`);
    const expected = await blocksOf(`SELECT ((pg_relation_size('cbtest_prewarm_flat.messages') + pg_relation_size('cbtest_prewarm_flat.messages_pkey')
      + pg_relation_size('cbtest_prewarm_flat.messages_channel_id_id_idx')) / 8192)::bigint AS b`);
    expect(toast).toBeGreaterThan(0);
    expect(expected).toBeGreaterThan(100);
    expect(await withTarget(server!.url(), (t) => prewarmMessages(t, 'cbtest_prewarm_flat'))).toBe(expected + toast);
  });

  it('falls back to reading the heap where pg_prewarm may not be installed (a role without the right), and refuses a schema without messages', async () => {
    await admin.query(`DROP DATABASE IF EXISTS cbtest_prewarm_plain`);
    await admin.query(`CREATE DATABASE cbtest_prewarm_plain`);
    await admin.query(`DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cbtest_plain') THEN CREATE ROLE cbtest_plain LOGIN PASSWORD 'plain'; END IF; END $$`);
    const plain = new pg.Client({ connectionString: server!.url('cbtest_prewarm_plain') });
    await plain.connect();
    try {
      await plain.query(`CREATE SCHEMA d AUTHORIZATION cbtest_plain; CREATE TABLE d.messages (id bigint); ALTER TABLE d.messages OWNER TO cbtest_plain`);
    } finally {
      await plain.end();
    }
    const url = new URL(server!.url('cbtest_prewarm_plain'));
    url.username = 'cbtest_plain';
    url.password = 'plain';
    expect(await withTarget(url.toString(), (t) => prewarmMessages(t, 'd'))).toBeUndefined();
    // pg_prewarm was not created by the refusal
    const c = new pg.Client({ connectionString: server!.url('cbtest_prewarm_plain') });
    await c.connect();
    try {
      expect((await c.query(`SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'pg_prewarm'`)).rows[0].n).toBe(0);
    } finally {
      await c.end();
    }
    for (const u of [server!.url(), url.toString()]) await expect(withTarget(u, (t) => prewarmMessages(t, 'no_such_schema'))).rejects.toThrow(/no table no_such_schema\.messages/);
  });

  it('bench ingest gives a range-partitioned design the partitions of the data\'s time span, so every copied row finds one', async () => {
    // At 100M on btree-monthly, psql's \copy was refused on its first row: the scratch table had no partition.
    const variant = findVariant(loadVariants(SCHEMAS_DIR), 'btree-monthly');
    const model = await loadModel(planParams({ messages: 3000 }));
    const schema = await prepare(admin, variant, model, 'cbtest_partitions', false);
    try {
      const [part] = generateChunk(model, { key: 'messages', index: 0, from: 0, to: 3000 }, 'text', ['messages']);
      await pipeline(Readable.from([part.bytes]), admin.query(copyStreams.from(`COPY "${schema}".messages (${TABLES.messages.columns.join(', ')}) FROM STDIN`)));
      const r = await admin.query(`SELECT (SELECT count(*)::int FROM "${schema}".messages) AS rows,
        (SELECT count(DISTINCT tableoid)::int FROM "${schema}".messages) AS used,
        (SELECT count(*)::int FROM pg_partition_tree('"${schema}".messages') WHERE isleaf) AS leaves`);
      expect(r.rows[0].rows).toBe(3000);
      // 90 days from the start: three months, each with rows
      expect(r.rows[0].leaves).toBeGreaterThanOrEqual(3);
      expect(r.rows[0].used).toBeGreaterThanOrEqual(3);
    } finally {
      await dropScratch(admin, schema);
    }
  });
});
