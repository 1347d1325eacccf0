// What `db status` reports: for a server given by URL, its version, pg_stat_statements and size;
// for the embedded one, its binaries, data directory, whether it runs, and its settings.
import fs from 'node:fs';
import path from 'node:path';
import { formatBytes } from '../metrics/format.ts';
import { embeddedStatus, resolveBinaries, type EmbeddedPaths } from './embedded.ts';
import { serverFacts } from './facts.ts';
import { connectClient, type Target } from './target.ts';

/** A status as data (--json) and as the lines a person reads. */
export interface StatusReport {
  json: Record<string, unknown>;
  text: string;
}

export async function urlStatus(target: Target): Promise<StatusReport> {
  const client = await connectClient(target);
  try {
    const facts = await serverFacts(client);
    const bytes = Number((await client.query<{ bytes: number }>('SELECT pg_database_size(current_database())::bigint AS bytes')).rows[0].bytes);
    return {
      json: { kind: 'url', url: target.display, running: true, version: facts.version, pgStatStatements: facts.pgStatStatements, databaseBytes: bytes, settings: facts.settings },
      text: [`server:    ${target.display} (given by --db or DATABASE_URL)`, `version:   ${facts.version}`, `pg_stat_statements: ${facts.pgStatStatements}`, `database size: ${formatBytes(bytes)}`].join('\n'),
    };
  } finally {
    await client.end();
  }
}

/** The embedded server's state; `target` is opened only if the server already runs (a status never starts it). */
export async function embeddedReport(paths: EmbeddedPaths, target: () => Promise<Target>): Promise<StatusReport> {
  const st = embeddedStatus(paths);
  const bin = await resolveBinaries(paths.binDir);
  const pgssShipped = fs.existsSync(path.join(bin.extensionDir, 'pg_stat_statements.control'));
  let version = `PostgreSQL ${bin.version.split('-')[0]} (${bin.source})`;
  let pgStatStatements = pgssShipped ? 'available (preloaded by chatbench at start)' : 'missing';
  if (st.running) {
    const client = await connectClient(await target());
    try {
      const facts = await serverFacts(client);
      version = facts.version;
      pgStatStatements = facts.pgStatStatements;
    } finally {
      await client.end();
    }
  }
  const dataVersion = st.initialised ? fs.readFileSync(path.join(paths.dataDir, 'PG_VERSION'), 'utf8').trim() : undefined;
  const json = {
    kind: 'embedded',
    home: paths.home,
    dataDir: paths.dataDir,
    movedBecause: paths.movedBecause,
    initialised: st.initialised,
    dataVersion,
    running: st.running,
    pid: st.pid,
    port: st.port,
    pinned: st.pinned,
    commandsUsingIt: st.leases,
    version,
    pgStatStatements,
    dataBytes: st.dataBytes,
    settings: st.cluster?.settings,
  };
  const lines = [
    `embedded PostgreSQL: ${version}`,
    `data directory: ${paths.dataDir}${st.initialised ? ` (${formatBytes(st.dataBytes ?? 0)}, PG_VERSION ${dataVersion})` : ' (not initialised yet: the first command creates it)'}`,
    paths.movedBecause ? `  (not in the project folder: ${paths.movedBecause})` : '',
    `running: ${st.running ? `yes, pid ${st.pid}, port ${st.port}${st.pinned ? ', kept running by "db start"' : ''}` : 'no (commands start it on demand)'}`,
    `pg_stat_statements: ${pgStatStatements}`,
    `log: ${paths.logFile}`,
  ].filter(Boolean);
  return { json, text: lines.join('\n') };
}
