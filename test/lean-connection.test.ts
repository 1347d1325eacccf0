// The lean protocol path (src/db/lean-connection.ts) against real servers of both versions: the same
// values as node-postgres's full decoder, errors in the middle of an answer, notices, NULLs,
// multi-byte text, answers larger than one read, bad parameters, and a backend killed under it.
// (A server restart under a running scenario is in faults.test.ts; the same answers on every
// scenario's reads in scenario.test.ts.)
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LeanConnection } from '../src/db/lean-connection.ts';
import { clientConfig, paramsFromUrl } from '../src/db/target.ts';
import { chatbenchTypes } from '../src/db/type-parsers.ts';
import { classify } from '../src/scenario/connections.ts';
import { serverKinds, startTestServer, type TestServer } from './servers.ts';

describe.each(serverKinds().map((k) => [k.name, k] as const))('%s', (_name, kind) => {
  let server: TestServer | undefined;
  let url = '';
  const open = () => LeanConnection.connect(clientConfig(paramsFromUrl(new URL(url)), { applicationName: 'chatbench lean test' }));
  const full = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: url, types: chatbenchTypes });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    if (kind.binDir) {
      server = await startTestServer(kind, path.join(inject('testHome'), 'lean'));
      url = server.url();
    } else {
      url = inject('adminUrl');
    }
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it('reads the same values as node-postgres: NULLs, multi-byte text, numbers, times, arrays, JSON', async () => {
    const sql = `SELECT $1::bigint AS id, NULL::text AS nothing, $2::text AS words, '2026-01-02 03:04:05.678+00'::timestamptz AS at, 12.5::numeric AS n,
                        ARRAY[1,2,3] AS arr, '{"a": [1, "é"]}'::jsonb AS doc, true AS yes, ''::text AS empty, g
                   FROM generate_series(1, 3) g`;
    const params = [775736680607753, 'héllo wörld 🌍 日本語 — ok'];
    const expected = await full(async (c) => (await c.query({ text: sql, values: params, rowMode: 'array' })).rows as unknown[][]);
    const lean = await open();
    try {
      const rows = await lean.query('t1', sql, params);
      expect(rows.length).toBe(3);
      for (let i = 0; i < 3; i++) expect(rows.row(i)).toEqual(expected[i]);
      expect(rows.value(2, 9)).toBe(3);
      expect(rows.value(0, 1)).toBeNull();
      expect(rows.value(0, 2)).toBe(params[1]);
      // the second run sends only Bind/Execute/Sync: same answer
      const again = await lean.query('t1', sql, params);
      expect(again.row(0)).toEqual(expected[0]);
      // integers (written as digits), other numbers, NULL and text among the same statement's parameters, run twice
      const mixedSql = 'SELECT $1::bigint AS a, $2::int AS b, $3::float8 AS c, $4::text AS d, $5::int AS e, $6::text AS f';
      const mixed = [-Number.MAX_SAFE_INTEGER, 0, 12.5, null, -7, 'é'];
      const mixedExpected = await full(async (c) => (await c.query({ text: mixedSql, values: mixed, rowMode: 'array' })).rows[0] as unknown[]);
      expect((await lean.query('mixed', mixedSql, mixed)).row(0)).toEqual(mixedExpected);
      expect((await lean.query('mixed', mixedSql, mixed)).row(0)).toEqual(mixedExpected);
      // Dates as parameters are sent as node-postgres sends them
      const when = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678));
      const d = await lean.query('t2', 'SELECT $1::timestamptz = $2::timestamptz AS same', [when, when.toISOString()]);
      expect(d.value(0, 0)).toBe(true);
    } finally {
      await lean.close();
    }
  });

  it('reuses one message buffer safely: a query while another runs is refused, larger messages, other values of the same length, a parameter that cannot be sent', async () => {
    const lean = await open();
    try {
      // the buffer is rewritten only once the server has answered: a second query before that is refused, the first answers intact
      const first = lean.query('slow', 'SELECT pg_sleep(0.05), $1::int AS n', [41]);
      await expect(lean.query('other', 'SELECT 2', [])).rejects.toThrow(/already in progress/);
      expect((await first).value(0, 1)).toBe(41);
      // a message larger than the buffer (multi-byte text), a small one, the large one again
      const large = '🌍é'.repeat(2_000);
      expect((await lean.query('large', 'SELECT length($1::text) AS n, $1::text = $2::text AS same', [large, large])).row(0)).toEqual([4_000, true]);
      expect((await lean.query('small', 'SELECT $1::int + 1 AS n', [1])).value(0, 0)).toBe(2);
      expect((await lean.query('large', 'SELECT length($1::text) AS n, $1::text = $2::text AS same', [large, `${large.slice(0, -1)}x`])).row(0)).toEqual([4_000, false]);
      // the same statement with other values of the same length: what is sent is this query's
      const sql = 'SELECT $1::int AS a, $2::int AS b, $3::float8 AS c';
      expect((await lean.query('same', sql, [-7, -0, 2 ** 53])).row(0)).toEqual([-7, 0, 2 ** 53]);
      expect((await lean.query('same', sql, [-8, 1, 2 ** 53 + 2])).row(0)).toEqual([-8, 1, 2 ** 53 + 2]);
      // a parameter that cannot be sent: refused before anything is written (the statement was not even parsed)
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      await expect(lean.query('bad', 'SELECT $1::jsonb ->> \'a\' AS a', [circular])).rejects.toThrow(/circular/i);
      expect((await lean.query('bad', 'SELECT $1::jsonb ->> \'a\' AS a', [{ a: 1 }])).value(0, 0)).toBe('1');
    } finally {
      await lean.close();
    }
  });

  it('frames answers larger than one read (many rows, and rows of a megabyte)', async () => {
    const lean = await open();
    try {
      const many = await lean.query('many', 'SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, $1::int) g', [50_000]);
      expect(many.length).toBe(50_000);
      expect(many.value(49_999, 0)).toBe(50_000);
      expect(String(many.value(12_345, 1))).toHaveLength(128);
      const big = await lean.query('big', "SELECT repeat('ab', 500000) AS x, 'after' AS y", []);
      expect(String(big.value(0, 0))).toHaveLength(1_000_000);
      expect(big.value(0, 1)).toBe('after');
      // and a small answer after the large ones
      expect((await lean.query('one', 'SELECT 1', [])).value(0, 0)).toBe(1);
      // many answers of a page's size in a row (some arriving in two reads): the receive buffer
      // wraps around between them and moves an answer in progress, rather than growing
      const grown = lean.bufferBytes;
      const fresh = await open();
      try {
        for (let k = 1; k <= 400; k++) {
          const page = await fresh.query('page', "SELECT g, repeat('x', 300) FROM generate_series($1::int, $1::int + 49) g", [k]);
          expect([page.length, page.value(0, 0), page.value(49, 0)]).toEqual([50, k, k + 49]);
        }
        expect(fresh.bufferBytes).toBeLessThanOrEqual(256 * 1024);
      } finally {
        await fresh.close();
      }
      expect(grown).toBeGreaterThan(1_000_000); // the megabyte row needed room
    } finally {
      await lean.close();
    }
  });

  it('reports an error in the middle of an answer with its SQLSTATE, and the connection goes on', async () => {
    const lean = await open();
    try {
      const err = await lean.query('div', 'SELECT CASE WHEN g = 500 THEN 1 / 0 ELSE g END FROM generate_series(1, 1000) g', []).catch((e) => e);
      expect(err).toMatchObject({ code: '22012', message: 'division by zero' });
      expect(classify(err).code).toBe('22012');
      // a bad parameter (Bind fails after Parse succeeded), then the same statement works
      const bad = await lean.query('param', 'SELECT $1::bigint + 1', ['not a number']).catch((e) => e);
      expect(bad).toMatchObject({ code: '22P02' });
      expect((await lean.query('param', 'SELECT $1::bigint + 1', [41])).value(0, 0)).toBe(42);
      // a statement that does not parse, then a good one under another name
      const syntax = await lean.query('syntax', 'SELEC 1', []).catch((e) => e);
      expect(syntax).toMatchObject({ code: '42601' });
      expect((await lean.query('ok', 'SELECT 2', [])).value(0, 0)).toBe(2);
    } finally {
      await lean.close();
    }
  });

  it('passes over notices, and runs simple queries (several statements: the last one answers)', async () => {
    const lean = await open();
    try {
      const r = await lean.simpleQuery(`DO $$ BEGIN RAISE NOTICE 'a notice'; END $$; SET application_name = 'lean'; SELECT current_setting('application_name'), 7`);
      expect(r.row(0)).toEqual(['lean', 7]);
      const n = await lean.query('notice', `SELECT g FROM generate_series(1, 2) g`, []);
      expect(n.length).toBe(2);
    } finally {
      await lean.close();
    }
  });

  it('fails with a lost-connection error when its backend is killed, and says it is closed', async () => {
    const lean = await open();
    const pid = Number((await lean.query('pid', 'SELECT pg_backend_pid()', [])).value(0, 0));
    await full((c) => c.query('SELECT pg_terminate_backend($1)', [pid]));
    const err = await lean.query('after', 'SELECT 1', []).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    // the server says why before it closes (57P01), or the socket is simply gone (08006)
    expect(['57P01', '08006']).toContain(classify(err).code);
    expect(lean.isClosed).toBe(true);
    await lean.close();
  });
});
