// The command line: parses argv with yargs, runs one command in a CliContext, and turns every
// error into one line and an exit code (2 usage, 1 runtime, 130 interrupted).
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { isChatbenchError, UsageError, DatabaseError } from '../errors.ts';
import { scrubSecrets } from '../db/redact.ts';
import { adviceFor, lostConnection, sqlstateName, toDatabaseError } from '../db/sqlstate.ts';
import { createContext, type CliContext, type GlobalOptions } from './context.ts';

export type CommandFactory = (ctx: CliContext) => {
  command: string | string[];
  describe: string;
  builder: (y: Argv) => Argv;
  handler: (argv: Record<string, unknown>) => Promise<void>;
};

// Each command's module, loaded when it is wanted: a command and its engine are most of a process
// start's imports (about half a second of the 1-2 s before a command does anything).
const COMMANDS: Record<string, () => Promise<CommandFactory>> = {
  seed: async () => (await import('./commands/seed.ts')).seedCommand,
  scenario: async () => (await import('./commands/scenario.ts')).scenarioCommand,
  capacity: async () => (await import('./commands/capacity.ts')).capacityCommand,
  growth: async () => (await import('./commands/growth.ts')).growthCommand,
  report: async () => (await import('./commands/report.ts')).reportCommand,
  schema: async () => (await import('./commands/schema.ts')).schemaCommand,
  check: async () => (await import('./commands/check.ts')).checkCommand,
  db: async () => (await import('./commands/db.ts')).dbCommand,
  bench: async () => (await import('./commands/bench.ts')).benchCommand,
  quickstart: async () => (await import('./commands/quickstart.ts')).quickstartCommand,
};

const COMMAND_NAMES = Object.keys(COMMANDS);

/**
 * The commands the parser needs for these arguments: every command named among them (the one that
 * runs is always named), or all of them when none is (the list in --help, an unknown command).
 */
async function commandsFor(args: string[]): Promise<CommandFactory[]> {
  const named = COMMAND_NAMES.filter((name) => args.includes(name));
  return Promise.all((named.length ? named : COMMAND_NAMES).map((name) => COMMANDS[name]()));
}

function buildParser(ctx: CliContext, args: string[], commands: CommandFactory[], setGlobals: (g: GlobalOptions) => void): Argv {
  let y = yargs(args)
    .scriptName('chatbench')
    .usage('$0 <command> [options]\n\nBenchmark PostgreSQL schema designs for a chat application: seed, replay, report.')
    .option('db', { type: 'string', describe: 'PostgreSQL URL to use instead of DATABASE_URL or the embedded server', global: true })
    .option('json', { type: 'boolean', default: false, describe: 'machine-readable result on stdout', global: true })
    .option('quiet', { type: 'boolean', default: false, describe: 'no progress or messages on stderr', global: true })
    .option('verbose', { type: 'boolean', default: false, describe: 'show stack traces of errors', global: true })
    .middleware((argv) => {
      // A flag given twice becomes an array: "--db a --db b" would otherwise reach a parser as "a,b".
      for (const [key, value] of Object.entries(argv)) {
        if (Array.isArray(value) && !['_', '--', 'args'].includes(key)) {
          throw new UsageError(`--${key} was given ${value.length} times: give it once`);
        }
      }
      setGlobals({
        db: argv.db as string | undefined,
        json: Boolean(argv.json),
        quiet: Boolean(argv.quiet),
        verbose: Boolean(argv.verbose) || ctx.env.CHATBENCH_DEBUG === '1',
      });
    })
    .parserConfiguration({ 'populate--': true })
    .strict()
    .demandCommand(1, 'missing command')
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      throw err ?? new UsageError(translateYargsMessage(msg, args));
    });
  for (const factory of commands) {
    const c = factory(ctx);
    y = y.command(c.command, c.describe, c.builder, c.handler);
  }
  return y;
}

/** yargs' messages, rewritten to the one-line pattern: what was wrong, the value, what is allowed. */
export function translateYargsMessage(msg: string, args: string[]): string {
  let m = /^Unknown arguments?: (.+)$/s.exec(msg);
  if (m) {
    const first = m[1].split(', ')[0];
    const asFlag = args.find((a) => a === `--${first}` || a.startsWith(`--${first}=`) || a === `-${first}`);
    if (asFlag) return `unknown option ${asFlag.split('=')[0]}: see --help for the options of this command`;
    if (!args.some((a) => COMMAND_NAMES.includes(a))) {
      return `unknown command "${first}": expected one of ${COMMAND_NAMES.join(', ')}`;
    }
    return `unexpected argument "${first}": see --help for the arguments of this command`;
  }
  m = /^Unknown commands?: (.+)$/s.exec(msg);
  if (m) return `unknown command "${m[1].split(', ')[0]}": expected one of ${COMMAND_NAMES.join(', ')}`;
  if (/^missing command$|^Not enough non-option arguments/.test(msg)) {
    return args.some((a) => COMMAND_NAMES.includes(a))
      ? `missing argument: see --help for what this command expects`
      : `missing command: expected one of ${COMMAND_NAMES.join(', ')}`;
  }
  m = /Argument: (\S+), Given: (.+?), Choices: (.+)$/m.exec(msg);
  if (m) return `invalid value ${m[2]} for ${m[1]}: expected one of ${m[3]}`;
  m = /^Missing required arguments?: (.+)$/s.exec(msg);
  if (m) return `missing ${m[1].split(', ').map((a) => `--${a}`).join(', ')}: see --help`;
  m = /^Arguments (\S+) and (\S+) are mutually exclusive$/.exec(msg);
  if (m) return `--${m[1]} and --${m[2]} cannot be used together`;
  m = /^Not enough arguments following: (\S+)$/.exec(msg);
  if (m) return `missing value for --${m[1]}`;
  return msg.split('\n')[0];
}

/** A node-postgres error that reached the top unwrapped: a server error keeps its SQLSTATE; a lost connection says so. */
function fromDriver(e: unknown): unknown {
  if (isChatbenchError(e)) return e;
  const err = e as { code?: unknown; message?: string };
  const sqlstate = typeof err?.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code);
  return sqlstate || lostConnection(err?.message ?? '') ? toDatabaseError(e, 'PostgreSQL') : e;
}

/** One line for any error: the message, and for server errors their SQLSTATE, detail and hint. */
export function describeError(e: unknown, secrets: string[]): string {
  e = fromDriver(e);
  if (e instanceof DatabaseError) {
    const extras = [
      e.code ? `SQLSTATE ${e.code} ${sqlstateName(e.code)}` : '',
      e.detail ? `detail: ${e.detail}` : '',
      e.hint ? `hint: ${e.hint}` : '',
    ].filter(Boolean);
    const advice = e.code ? adviceFor(e.code) : undefined;
    if (advice) extras.push(`what to do: ${advice}`);
    return scrubSecrets(`${e.message}${extras.length ? ` (${extras.join('; ')})` : ''}`, secrets).replace(/\s*\n\s*/g, ' ');
  }
  if (isChatbenchError(e)) return scrubSecrets(e.message, secrets).replace(/\s*\n\s*/g, ' ');
  const err = e as Error;
  return scrubSecrets(`internal error: ${err?.message ?? String(e)} (run with --verbose for the stack trace)`, secrets).replace(/\s*\n\s*/g, ' ');
}

export function exitCodeOf(e: unknown): number {
  return isChatbenchError(e) ? e.exitCode : 1;
}

export async function main(argv: string[]): Promise<number> {
  const handle = createContext(process.env, process.stdout, process.stderr);
  const args = hideBin(argv);
  let code = 0;
  try {
    await buildParser(handle.ctx, args, await commandsFor(args), handle.setGlobals).parseAsync();
  } catch (e) {
    code = exitCodeOf(e);
    process.stderr.write(`chatbench: ${describeError(e, handle.ctx.secrets())}\n`);
    if (handle.ctx.globals.verbose || process.env.CHATBENCH_DEBUG === '1') {
      process.stderr.write(`${scrubSecrets(String((e as Error)?.stack ?? e), handle.ctx.secrets())}\n`);
    }
  } finally {
    try {
      await handle.close();
    } catch (e) {
      process.stderr.write(`chatbench: while stopping the embedded server: ${describeError(e, handle.ctx.secrets())}\n`);
      code ||= 1;
    }
  }
  return code;
}
