// Runs a program to completion and hands back what it printed: the server's own tools (initdb,
// pg_ctl) and the peers chatbench is measured against (psql, pgbench). One place spawns them.
import { spawn } from 'node:child_process';
import { RuntimeError } from '../errors.ts';

export interface ProcessOptions {
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run as this user and group (root starting the embedded server as its own user). */
  uid?: number;
  gid?: number;
}

export interface ProcessOutcome {
  /** The exit code (1 when killed by a signal). */
  code: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as they came, for messages. */
  output: string;
  ms: number;
}

/** Resolves whatever the exit code; rejects only when the program could not be started (ENOENT ...). */
export function runProcess(cmd: string, args: string[], o: ProcessOptions = {}): Promise<ProcessOutcome> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { uid: o.uid, gid: o.gid, cwd: o.cwd, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let output = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      output += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      output += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr, output, ms: performance.now() - t0 }));
  });
}

/** Runs a program on this terminal (psql for a person); resolves with its exit code. */
export function runInteractive(cmd: string, args: string[], notInstalled: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: 'inherit' });
    child.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' ? new RuntimeError(notInstalled) : e));
    child.on('close', (code) => resolve(code ?? 1));
  });
}
