// The database a command works on: a server given by URL, or the embedded one. Opens clients and
// pools with chatbench's per-client type parsing, and shows every address with the password redacted.
import fs from 'node:fs';
import pg from 'pg';
import { DatabaseError } from '../errors.ts';
import { acquireEmbedded, type EmbeddedPaths, type Lease } from './embedded.ts';
import { LeanConnection } from './lean-connection.ts';
import { redactUrlText } from './redact.ts';
import { toDatabaseError } from './sqlstate.ts';
import { chatbenchTypes } from './type-parsers.ts';

export type TargetSpec = { kind: 'url'; url: URL } | { kind: 'embedded'; paths: EmbeddedPaths };

export interface ConnectionParams {
  host: string;
  port: number;
  user: string;
  database: string;
  /** Non-enumerable: never serialised, never logged. */
  password?: string;
  /** Extra URL query parameters the user gave (sslmode, ...), passed to libpq tools. */
  query: URLSearchParams;
}

export interface Target {
  kind: TargetSpec['kind'];
  params: ConnectionParams;
  /** `postgres://user@host:port/db` with no password, for messages and results. */
  display: string;
  /** Strings that must never appear in output (the password). */
  secrets: string[];
  embedded?: Lease;
  /** A libpq URL that works in psql and pgbench without showing a password (embedded: through a passfile). */
  libpqUrl(opts?: { schema?: string }): string;
  close(): Promise<void>;
  closeSync(): void;
}

export function paramsFromUrl(url: URL): ConnectionParams {
  const query = new URLSearchParams(url.searchParams);
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || query.get('dbname') || process.env.PGDATABASE || 'postgres';
  query.delete('dbname');
  const params: ConnectionParams = {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username) || process.env.PGUSER || process.env.USER || 'postgres',
    database,
    query,
  };
  const userParam = query.get('user');
  if (userParam && !url.username) params.user = userParam;
  query.delete('user');
  const password = url.password ? decodeURIComponent(url.password) : query.get('password') || passfilePassword(query.get('passfile') ?? process.env.PGPASSFILE, params) || process.env.PGPASSWORD;
  query.delete('password');
  Object.defineProperty(params, 'password', { value: password, enumerable: false });
  return params;
}

/** The password for these params from a libpq passfile (host:port:db:user:password, * matches anything). */
function passfilePassword(file: string | undefined, p: ConnectionParams): string | undefined {
  if (!file) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined; // like libpq: an unreadable passfile is no password
  }
  const want = [p.host, String(p.port), p.database, p.user];
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const fields = line.split(/(?<!\\):/).map((f) => f.replace(/\\([:\\])/g, '$1'));
    if (fields.length < 5) continue;
    if (want.every((w, i) => fields[i] === '*' || fields[i] === w)) return fields.slice(4).join(':');
  }
  return undefined;
}

function displayOf(p: ConnectionParams): string {
  return `postgres://${encodeURIComponent(p.user)}@${p.host.includes(':') ? `[${p.host}]` : p.host}:${p.port}/${encodeURIComponent(p.database)}`;
}

/** Connect timeout for a command that opens many connections at once on a busy server (the seeder). */
export const SEED_CONNECT_TIMEOUT_MS = 60_000;

export interface ClientOptions {
  schema?: string;
  applicationName?: string;
  /** statement_timeout for every statement of this client. */
  statementTimeoutMs?: number;
  /** How long to wait for the connection when the URL does not say (connect_timeout); default 10 s. */
  connectTimeoutMs?: number;
  /** plan_cache_mode for this client's prepared statements (the server's default is auto). */
  planCache?: 'auto' | 'custom' | 'generic';
}

const PLAN_CACHE_MODES = { auto: 'auto', custom: 'force_custom_plan', generic: 'force_generic_plan' } as const;

/**
 * TLS as libpq's sslmode says: disable, allow and prefer connect in plain text (node-postgres has no
 * fallback from TLS); require encrypts without checking the certificate; verify-ca and verify-full
 * check it, against sslrootcert when given.
 */
function sslConfig(query: URLSearchParams, sslmode: string | null): pg.ClientConfig['ssl'] {
  if (!sslmode || sslmode === 'disable' || sslmode === 'allow' || sslmode === 'prefer') return undefined;
  const read = (key: string) => (query.get(key) ? fs.readFileSync(query.get(key)!, 'utf8') : undefined);
  return {
    rejectUnauthorized: sslmode === 'verify-full' || sslmode === 'verify-ca',
    ca: read('sslrootcert'),
    cert: read('sslcert'),
    key: read('sslkey'),
    // verify-ca checks the chain but not the host name.
    checkServerIdentity: sslmode === 'verify-ca' ? () => undefined : undefined,
  };
}

/** pg client options for these params, landing in `schema` (then public) when given. */
export function clientConfig(p: ConnectionParams, opts: ClientOptions = {}): pg.ClientConfig {
  const sslmode = p.query.get('sslmode');
  // Our settings go after the URL's own options (libpq's "options" parameter), so both apply.
  const options = [
    p.query.get('options') ?? '',
    opts.schema ? `-c search_path=${opts.schema},public` : '',
    opts.statementTimeoutMs ? `-c statement_timeout=${Math.round(opts.statementTimeoutMs)}` : '',
    opts.planCache && opts.planCache !== 'auto' ? `-c plan_cache_mode=${PLAN_CACHE_MODES[opts.planCache]}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return {
    host: p.host,
    port: p.port,
    user: p.user,
    password: p.password,
    database: p.database,
    application_name: opts.applicationName ?? 'chatbench',
    connectionTimeoutMillis: p.query.get('connect_timeout') ? Number(p.query.get('connect_timeout')) * 1000 || 10_000 : (opts.connectTimeoutMs ?? 10_000),
    ssl: sslConfig(p.query, sslmode),
    options: options || undefined,
    types: chatbenchTypes,
  };
}

/** Connects one client; a failure names host and port (never the password) and keeps the SQLSTATE. */
export async function connectClient(target: Target, opts: ClientOptions = {}): Promise<pg.Client> {
  const client = new pg.Client(clientConfig(target.params, opts));
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => {});
    throw connectError(target.params, e);
  }
  // An idle client whose server goes away emits 'error'; without a listener that would crash the process.
  client.on('error', () => {});
  return client;
}

/** Connects one lean connection (the measured path: see lean-connection.ts), failing as connectClient does. */
export async function connectLean(params: ConnectionParams, opts: ClientOptions = {}): Promise<LeanConnection> {
  try {
    return await LeanConnection.connect(clientConfig(params, opts));
  } catch (e) {
    throw connectError(params, e);
  }
}

export function connectError(params: ConnectionParams, e: unknown): DatabaseError {
  const err = e as { code?: string; message?: string };
  const target = { params };
  const where = `${target.params.host}:${target.params.port}`;
  const reason =
    err.code === 'ECONNREFUSED' ? 'connection refused'
    : err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' ? 'host not found'
    : err.code === 'ETIMEDOUT' || /timeout/i.test(err.message ?? '') ? 'timed out'
    : redactUrlText(err.message ?? String(e));
  const hint = err.code === '3D000' ? ` (create it first, or name another database in the URL)` : '';
  const base = toDatabaseError(e, `cannot connect to ${where} as ${target.params.user}, database ${target.params.database}`);
  return new DatabaseError(`cannot connect to PostgreSQL at ${where} (database ${target.params.database}, user ${target.params.user}): ${reason}${hint}`, {
    cause: e,
    code: base.code,
    detail: base.detail,
    hint: base.hint,
  });
}

/** Opens the target: for a URL, checks it answers; for the embedded server, starts it if needed. */
export async function openTarget(spec: TargetSpec, onNotice: (msg: string) => void = () => {}): Promise<Target> {
  if (spec.kind === 'url') {
    const params = paramsFromUrl(spec.url);
    const target = makeTarget('url', params, undefined);
    const client = await connectClient(target);
    await client.end();
    return target;
  }
  const lease = await acquireEmbedded(spec.paths, onNotice);
  const s = lease.server;
  const params: ConnectionParams = { host: s.host, port: s.port, user: s.user, database: s.database, query: new URLSearchParams() };
  Object.defineProperty(params, 'password', { value: s.password, enumerable: false });
  const target = makeTarget('embedded', params, lease);
  try {
    await ensureEmbeddedDatabase(target);
  } catch (e) {
    await lease.release().catch(() => {});
    throw e;
  }
  return target;
}

function makeTarget(kind: Target['kind'], params: ConnectionParams, lease: Lease | undefined): Target {
  return {
    kind,
    params,
    display: displayOf(params),
    secrets: params.password ? [params.password] : [],
    embedded: lease,
    libpqUrl(opts = {}) {
      const q = new URLSearchParams(params.query);
      if (lease) q.set('passfile', lease.server.paths.pgpassFile);
      if (opts.schema) q.set('options', `-csearch_path=${opts.schema},public`);
      const qs = q.toString().replaceAll('+', '%20');
      return `${displayOf(params)}${qs ? `?${qs}` : ''}`;
    },
    async close() {
      await lease?.release();
    },
    closeSync() {
      lease?.releaseSync();
    },
  };
}

/** The embedded server's `chatbench` database with pg_stat_statements; created on first use. */
async function ensureEmbeddedDatabase(target: Target): Promise<void> {
  const admin = await connectClient({ ...target, params: withDatabase(target.params, 'postgres') });
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [target.params.database]);
    if (!rowCount) {
      await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(target.params.database)}`).catch((e) => {
        // Another command created it first: duplicate_database, or the catalog's unique index when both raced.
        if (!['42P04', '23505'].includes((e as { code?: string }).code ?? '')) throw e;
      });
    }
  } finally {
    await admin.end();
  }
  const client = await connectClient(target);
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements').catch((e) => {
      if ((e as { code?: string }).code !== '23505' && (e as { code?: string }).code !== '42710') throw e;
    });
  } finally {
    await client.end();
  }
}

/**
 * The same server, credentials and settings, another database (growth keeps one database per data
 * size). Closing it closes nothing: the server stays with the target it came from.
 */
export function onDatabase(target: Target, database: string): Target {
  const t = makeTarget(target.kind, withDatabase(target.params, database), target.embedded);
  return { ...t, async close() {}, closeSync() {} };
}

export function withDatabase(p: ConnectionParams, database: string): ConnectionParams {
  const copy: ConnectionParams = { ...p, database, query: new URLSearchParams(p.query) };
  Object.defineProperty(copy, 'password', { value: p.password, enumerable: false });
  return copy;
}
