// `chatbench db status|start|stop|url|reset|psql`: the database target itself.
import fs from 'node:fs';
import { pinEmbedded, resetEmbedded, stopEmbedded, type EmbeddedPaths } from '../../db/embedded.ts';
import { runInteractive } from '../../db/run-process.ts';
import { embeddedReport, urlStatus } from '../../db/status.ts';
import { targetSpec } from '../../config/target.ts';
import { RuntimeError, UsageError } from '../../errors.ts';
import { findVariant, loadVariants } from '../../schema/variants.ts';
import { SCHEMAS_DIR } from '../../config/paths.ts';
import type { CommandFactory } from '../app.ts';
import type { CliContext } from '../context.ts';
import { confirmed } from '../prompt.ts';

const ACTIONS = ['status', 'start', 'stop', 'url', 'reset', 'psql'] as const;
/** Actions on the embedded server only, and what to say when the target is a server given by URL. */
const EMBEDDED_ONLY: Partial<Record<(typeof ACTIONS)[number], string>> = {
  start: '"db start" manages the embedded server; with --db or DATABASE_URL the server is yours to start',
  stop: '"db stop" manages the embedded server; with --db or DATABASE_URL the server is yours to stop',
  reset: '"db reset" deletes only the embedded server\'s data; to remove chatbench\'s schemas from your server use "schema revert --variant all"',
};

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
    const schema = variant === undefined ? undefined : findVariant(loadVariants(SCHEMAS_DIR), variant).schema;
    if (variant !== undefined && action !== 'url' && action !== 'psql') throw new UsageError(`--variant applies to "db url" and "db psql", not "db ${action}"`);
    const spec = targetSpec(ctx.globals.db, ctx.env);
    const paths = spec.kind === 'embedded' ? spec.paths : undefined;
    const yours = EMBEDDED_ONLY[action];
    if (yours && !paths) throw new UsageError(yours);
    switch (action) {
      case 'status': {
        const st = paths ? await embeddedReport(paths, () => ctx.target()) : await urlStatus(await ctx.target());
        return ctx.result(st.json, st.text);
      }
      case 'start':
        return start(ctx, paths!);
      case 'stop':
        return stop(ctx, paths!);
      case 'reset':
        return reset(ctx, paths!, Boolean(argv.yes));
      case 'url':
        return url(ctx, paths, schema);
      case 'psql':
        return psql(ctx, schema, ((argv['--'] as string[] | undefined) ?? []).map(String));
    }
  },
});

async function url(ctx: CliContext, paths: EmbeddedPaths | undefined, schema: string | undefined): Promise<void> {
  if (paths) await pinEmbedded(paths, (m) => ctx.log(m));
  const target = await ctx.target();
  if (paths) ctx.log('(the embedded server keeps running for other tools: stop it with "npm run db -- stop")');
  else if (target.params.password) ctx.log('(the password is left out: libpq takes it from PGPASSWORD or ~/.pgpass)');
  ctx.result({ url: target.libpqUrl({ schema }) }, target.libpqUrl({ schema }));
}

async function start(ctx: CliContext, paths: EmbeddedPaths): Promise<void> {
  const server = await pinEmbedded(paths, (m) => ctx.log(m));
  const target = await ctx.target();
  ctx.result({ running: true, port: server.port, url: target.libpqUrl() }, `embedded PostgreSQL running on 127.0.0.1:${server.port} until "npm run db -- stop"\nurl: ${target.libpqUrl()}`);
}

async function stop(ctx: CliContext, paths: EmbeddedPaths): Promise<void> {
  const { stopped, users } = await stopEmbedded(paths);
  const idle = stopped ? 'embedded PostgreSQL stopped' : 'embedded PostgreSQL was not running';
  ctx.result({ stopped, commandsUsingIt: users }, users > 0 ? `${users} chatbench command(s) still use the embedded server: it stops when the last one finishes` : idle);
}

async function reset(ctx: CliContext, paths: EmbeddedPaths, yes: boolean): Promise<void> {
  if (!fs.existsSync(paths.home)) {
    ctx.result({ deleted: false }, `nothing to reset: ${paths.home} does not exist`);
    return;
  }
  const question = `Delete the embedded data directory ${paths.dataDir} and everything seeded in it?`;
  if (!yes && !(await confirmed(question, `"db reset" deletes ${paths.dataDir} and every seeded variant in it: pass --yes to confirm`))) {
    ctx.result({ deleted: false }, 'not deleted');
    return;
  }
  const deleted = await resetEmbedded(paths);
  ctx.result({ deleted, dataDir: paths.dataDir }, deleted ? `deleted ${paths.dataDir}` : 'nothing to delete');
}

async function psql(ctx: CliContext, schema: string | undefined, args: string[]): Promise<void> {
  const code = await runInteractive('psql', [(await ctx.target()).libpqUrl({ schema }), ...args], 'psql is not installed: install the PostgreSQL client (apt-get install postgresql-client)');
  if (code !== 0) throw new RuntimeError(`psql exited with code ${code}`);
}
