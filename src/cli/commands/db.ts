// `chatbench db status|start|stop|url|reset|psql`: the database target itself.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline/promises';
import { embeddedStatus, pinEmbedded, resetEmbedded, resolveBinaries, stopEmbedded, type EmbeddedPaths } from '../../db/embedded.ts';
import { connectClient } from '../../db/target.ts';
import { serverFacts } from '../../db/facts.ts';
import { targetSpec } from '../../config/target.ts';
import { RuntimeError, UsageError } from '../../errors.ts';
import { formatBytes } from '../../metrics/format.ts';
import { findVariant, loadVariants } from '../../schema/variants.ts';
import { SCHEMAS_DIR } from '../../config/paths.ts';
import type { CommandFactory } from '../app.ts';
import type { CliContext } from '../context.ts';

const ACTIONS = ['status', 'start', 'stop', 'url', 'reset', 'psql'] as const;

export const dbCommand: CommandFactory = (ctx) => ({
  command: 'db <action>',
  describe: 'the database: status, start (keep the embedded server running), stop, url, reset, psql',
  builder: (y) =>
    y
      .positional('action', { choices: ACTIONS, describe: 'what to do' })
      .option('variant', { type: 'string', describe: 'with url or psql: land in this variant\'s tables' })
      .option('yes', { type: 'boolean', default: false, describe: 'with reset: do not ask for confirmation' })
      .example('$0 db status', 'where the data is, whether it runs, version and size')
      .example('psql "$(npm run -s db -- url --variant btree-monthly)" -c "select count(*) from messages"', 'query a variant with psql')
      .example('$0 db psql --variant btree-weekly -- -c "\\d messages"', 'open psql on a variant'),
  handler: async (argv) => {
    const action = argv.action as (typeof ACTIONS)[number];
    const variant = argv.variant as string | undefined;
    const passthrough = ((argv['--'] as string[] | undefined) ?? []).map(String);
    const schema = variant === undefined ? undefined : findVariant(loadVariants(SCHEMAS_DIR), variant).schema;
    if (variant !== undefined && action !== 'url' && action !== 'psql') throw new UsageError(`--variant applies to "db url" and "db psql", not "db ${action}"`);
    const spec = targetSpec(ctx.globals.db, ctx.env);
    switch (action) {
      case 'status':
        return status(ctx, spec.kind === 'embedded' ? spec.paths : undefined);
      case 'start':
        if (spec.kind !== 'embedded') throw new UsageError('"db start" manages the embedded server; with --db or DATABASE_URL the server is yours to start');
        return start(ctx, spec.paths);
      case 'stop':
        if (spec.kind !== 'embedded') throw new UsageError('"db stop" manages the embedded server; with --db or DATABASE_URL the server is yours to stop');
        return stop(ctx, spec.paths);
      case 'reset':
        if (spec.kind !== 'embedded') {
          throw new UsageError('"db reset" deletes only the embedded server\'s data; to remove chatbench\'s schemas from your server use "schema revert --variant all"');
        }
        return reset(ctx, spec.paths, Boolean(argv.yes));
      case 'url': {
        if (spec.kind === 'embedded') await pinEmbedded(spec.paths, (m) => ctx.log(m));
        const target = await ctx.target();
        const url = target.libpqUrl({ schema });
        if (spec.kind === 'embedded') ctx.log('(the embedded server keeps running for other tools: stop it with "npm run db -- stop")');
        else if (target.params.password) ctx.log('(the password is left out: libpq takes it from PGPASSWORD or ~/.pgpass)');
        ctx.result({ url }, url);
        return;
      }
      case 'psql':
        return psql(ctx, schema, passthrough);
    }
  },
});

async function status(ctx: CliContext, paths: EmbeddedPaths | undefined): Promise<void> {
  if (!paths) {
    const target = await ctx.target();
    const client = await connectClient(target);
    try {
      const facts = await serverFacts(client);
      const size = await client.query<{ bytes: number }>('SELECT pg_database_size(current_database())::bigint AS bytes');
      const json = { kind: 'url', url: target.display, running: true, version: facts.version, pgStatStatements: facts.pgStatStatements, databaseBytes: size.rows[0].bytes, settings: facts.settings };
      ctx.result(json, [
        `server:    ${target.display} (given by --db or DATABASE_URL)`,
        `version:   ${facts.version}`,
        `pg_stat_statements: ${facts.pgStatStatements}`,
        `database size: ${formatBytes(size.rows[0].bytes)}`,
      ].join('\n'));
    } finally {
      await client.end();
    }
    return;
  }
  const st = embeddedStatus(paths);
  const bin = await resolveBinaries(paths.binDir);
  const pgssShipped = fs.existsSync(path.join(bin.extensionDir, 'pg_stat_statements.control'));
  const pgVersion = st.initialised ? fs.readFileSync(path.join(paths.dataDir, 'PG_VERSION'), 'utf8').trim() : undefined;
  let version = `PostgreSQL ${bin.version.split('-')[0]} (${bin.source})`;
  let pgStatStatements = pgssShipped ? 'available (preloaded by chatbench at start)' : 'missing';
  if (st.running) {
    const target = await ctx.target();
    const client = await connectClient(target);
    try {
      const facts = await serverFacts(client);
      version = facts.version;
      pgStatStatements = facts.pgStatStatements;
    } finally {
      await client.end();
    }
  }
  const json = {
    kind: 'embedded',
    home: paths.home,
    dataDir: paths.dataDir,
    movedBecause: paths.movedBecause,
    initialised: st.initialised,
    dataVersion: pgVersion,
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
    `data directory: ${paths.dataDir}${st.initialised ? ` (${formatBytes(st.dataBytes ?? 0)}, PG_VERSION ${pgVersion})` : ' (not initialised yet: the first command creates it)'}`,
    paths.movedBecause ? `  (not in the project folder: ${paths.movedBecause})` : '',
    `running: ${st.running ? `yes, pid ${st.pid}, port ${st.port}${st.pinned ? ', kept running by "db start"' : ''}` : 'no (commands start it on demand)'}`,
    `pg_stat_statements: ${pgStatStatements}`,
    `log: ${paths.logFile}`,
  ].filter(Boolean);
  ctx.result(json, lines.join('\n'));
}

async function start(ctx: CliContext, paths: EmbeddedPaths): Promise<void> {
  const server = await pinEmbedded(paths, (m) => ctx.log(m));
  const target = await ctx.target();
  ctx.result(
    { running: true, port: server.port, url: target.libpqUrl() },
    `embedded PostgreSQL running on 127.0.0.1:${server.port} until "npm run db -- stop"\nurl: ${target.libpqUrl()}`,
  );
}

async function stop(ctx: CliContext, paths: EmbeddedPaths): Promise<void> {
  const { stopped, users } = await stopEmbedded(paths);
  const text = users > 0
    ? `${users} chatbench command(s) still use the embedded server: it stops when the last one finishes`
    : stopped ? 'embedded PostgreSQL stopped' : 'embedded PostgreSQL was not running';
  ctx.result({ stopped, commandsUsingIt: users }, text);
}

async function reset(ctx: CliContext, paths: EmbeddedPaths, yes: boolean): Promise<void> {
  if (!fs.existsSync(paths.home)) {
    ctx.result({ deleted: false }, `nothing to reset: ${paths.home} does not exist`);
    return;
  }
  if (!yes) {
    if (!process.stdin.isTTY) throw new UsageError(`"db reset" deletes ${paths.dataDir} and every seeded variant in it: pass --yes to confirm`);
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question(`Delete the embedded data directory ${paths.dataDir} and everything seeded in it? Type "yes": `);
    rl.close();
    if (answer.trim() !== 'yes') {
      ctx.result({ deleted: false }, 'not deleted');
      return;
    }
  }
  const deleted = await resetEmbedded(paths);
  ctx.result({ deleted, dataDir: paths.dataDir }, deleted ? `deleted ${paths.dataDir}` : 'nothing to delete');
}

async function psql(ctx: CliContext, schema: string | undefined, args: string[]): Promise<void> {
  const target = await ctx.target();
  const url = target.libpqUrl({ schema });
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn('psql', [url, ...args], { stdio: 'inherit' });
    child.on('error', (e) =>
      reject((e as NodeJS.ErrnoException).code === 'ENOENT' ? new RuntimeError('psql is not installed: install the PostgreSQL client (apt-get install postgresql-client)') : e),
    );
    child.on('close', (c) => resolve(c ?? 1));
  });
  if (code !== 0) throw new RuntimeError(`psql exited with code ${code}`);
}
