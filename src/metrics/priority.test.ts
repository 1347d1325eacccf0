import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Each case runs in a session of its own (setsid), whose autogroup nobody else changes: the test
// runner's session is shared with the commands other test files run, which raise and put it back.
// A shell in that session reads the priority after the probe has exited.
const here = path.dirname(fileURLToPath(import.meta.url));
const probe = (body: string): { out: unknown[]; after: number | null } => {
  const script = `import * as p from ${JSON.stringify(path.join(here, 'priority.ts'))};
const out = [];
const nice = () => p.sessionNice() ?? null;
const log = (m) => out.push('log: ' + m);
const done = () => console.log(JSON.stringify(out));
${body}
done();`;
  const file = path.join(fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? '/tmp'), 'cb-priority-')), 'probe.mjs');
  fs.writeFileSync(file, script);
  const r = spawnSync('setsid', ['-w', 'sh', '-c', `"$0" --import tsx "$1"; echo "after $(sed -n 's/.*nice \\(-*[0-9]*\\).*/\\1/p' /proc/self/autogroup 2>/dev/null)"`, process.execPath, file], { encoding: 'utf8' });
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  const lines = r.stdout.trim().split('\n');
  const after = /^after (-?\d+)?$/.exec(lines.pop() ?? '');
  if (!after) throw new Error(`probe failed: ${r.stdout} ${r.stderr}`);
  return { out: JSON.parse(lines.pop() ?? '[]') as unknown[], after: after[1] === undefined ? null : Number(after[1]) };
};
const autogroups = fs.existsSync('/proc/self/autogroup') && fs.readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1';

describe('withMeasuringPriority', () => {
  const first = probe(`out.push(nice());
await p.withMeasuringPriority(async () => { out.push(nice(), p.describePriority()); }, log);
out.push(nice());
await p.withMeasuringPriority(async () => { throw new Error('x'); }, log).catch(() => {});
out.push(nice());`);
  const raised = first.out[1] === -10;

  it('raises the session while measuring and puts back what it found, after a failure too; a refusal is said', () => {
    if (!autogroups) {
      expect(first.out).toEqual([null, null, expect.stringMatching(/^no autogroups/), null, null]);
      return;
    }
    if (raised) {
      expect(first).toEqual({ out: [0, -10, 'session autogroup nice -10', 0, 0], after: 0 });
      return;
    }
    // Not privileged here: measured at the session's priority, with one line saying so each time.
    expect(first.out).toEqual([0, expect.stringMatching(/^log: chatbench's CPU priority was not raised \(E\w+: needs root/), 0, 'session autogroup nice 0', 0, expect.stringMatching(/^log: chatbench's CPU priority was not raised/), 0]);
  });

  // Only where the session can be raised (root or CAP_SYS_NICE; the case above covers the rest).
  it.runIf(raised)('where it can raise: leaves alone a raised session (nested runs) and one changed meanwhile, and puts it back on process.exit', () => {
    expect(
      probe(`await p.withMeasuringPriority(async () => {
  await p.withMeasuringPriority(async () => { out.push(nice()); });
  out.push(nice());
});
out.push(nice());
await p.withMeasuringPriority(async () => { (await import('node:fs')).writeFileSync('/proc/self/autogroup', '-5'); });
out.push(nice(), p.describePriority());`),
    ).toEqual({ out: [-10, -10, 0, -5, 'session autogroup nice -5'], after: -5 });
    // A second Ctrl-C ends the process with process.exit, past every finally.
    expect(probe(`await p.withMeasuringPriority(async () => { out.push(nice()); done(); process.exit(130); });`)).toEqual({ out: [-10], after: 0 });
  });
});
