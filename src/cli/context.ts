// The explicit context every command runs in: output streams, Ctrl-C, the database target and its
// cleanup. Built once per process by main.ts; no module-level state anywhere else.
import { openTarget, type Target } from '../db/target.ts';
import { scrubSecrets } from '../db/redact.ts';
import { targetSpec } from '../config/target.ts';
import { InterruptedError } from '../errors.ts';

export interface GlobalOptions {
  db?: string;
  json: boolean;
  quiet: boolean;
  verbose: boolean;
}

export interface CliContext {
  globals: GlobalOptions;
  env: NodeJS.ProcessEnv;
  /** Aborted by the first Ctrl-C (or SIGTERM): commands stop cleanly and still write what they have. */
  signal: AbortSignal;
  /** Messages for people, on stderr (silent with --quiet). */
  log(message: string): void;
  /** Warnings, on stderr even with --quiet. */
  warn(message: string): void;
  /** Data on stdout: the JSON value with --json, else the human text. */
  result(json: unknown, text: string): void;
  /** True when stderr is a terminal and colour and progress bars are welcome. */
  interactive: boolean;
  /** Opens the database target (starting the embedded server if needed); closed when the command ends. */
  target(): Promise<Target>;
  /** Secrets to scrub from any output. */
  secrets(): string[];
  throwIfAborted(): void;
}

export interface ContextHandle {
  ctx: CliContext;
  setGlobals(g: GlobalOptions): void;
  close(): Promise<void>;
  closeSync(): void;
}

export function createContext(env: NodeJS.ProcessEnv, stdout: NodeJS.WriteStream, stderr: NodeJS.WriteStream): ContextHandle {
  const abort = new AbortController();
  let globals: GlobalOptions = { json: false, quiet: false, verbose: false };
  let opened: Promise<Target> | undefined;
  let targetValue: Target | undefined;
  const secretList: string[] = [];
  const scrub = (text: string) => scrubSecrets(text, secretList);

  const ctx: CliContext = {
    get globals() {
      return globals;
    },
    env,
    signal: abort.signal,
    get interactive() {
      return Boolean(stderr.isTTY) && !env.NO_COLOR && !globals.quiet;
    },
    log(message) {
      if (!globals.quiet) stderr.write(`${scrub(message)}\n`);
    },
    warn(message) {
      stderr.write(`${scrub(message)}\n`);
    },
    result(json, text) {
      stdout.write(globals.json ? `${scrub(JSON.stringify(json, null, 2))}\n` : `${scrub(text)}${text.endsWith('\n') ? '' : '\n'}`);
    },
    target() {
      opened ??= (async () => {
        const spec = targetSpec(globals.db, env);
        if (spec.kind === 'url' && spec.url.password) secretList.push(decodeURIComponent(spec.url.password));
        const t = await openTarget(spec, (m) => ctx.log(m));
        secretList.push(...t.secrets);
        targetValue = t;
        return t;
      })();
      return opened;
    },
    secrets: () => secretList,
    throwIfAborted() {
      if (abort.signal.aborted) throw new InterruptedError();
    },
  };

  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      stderr.write(`\n${sig === 'SIGINT' ? 'Ctrl-C' : sig}: stopping cleanly (press Ctrl-C again to stop at once)\n`);
      abort.abort(new InterruptedError());
    } else {
      handle.closeSync();
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  const onExit = () => handle.closeSync();
  process.on('exit', onExit);

  const handle: ContextHandle = {
    ctx,
    setGlobals(g) {
      globals = g;
    },
    async close() {
      for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(sig, onSignal);
      process.off('exit', onExit);
      if (opened) {
        try {
          await opened;
        } catch {
          // the open failed: nothing to close
        }
      }
      await targetValue?.close();
      targetValue = undefined;
    },
    closeSync() {
      targetValue?.closeSync();
      targetValue = undefined;
    },
  };
  return handle;
}
