import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as p from './priority.ts';

// Each case runs in a session of its own (setsid), whose autogroup nobody else changes: the test
// runner's session is shared with the commands other test files run, which raise and put it back.
// A shell in that session reads the priority after the probe has exited.
const here = path.dirname(fileURLToPath(import.meta.url));
const probe = (body: string): { out: unknown[]; after: number | null } => {
  const script = `import * as p from ${JSON.stringify(path.join(here, 'priority.ts'))};
import fs from 'node:fs';
const out = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
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
await p.withMeasuringPriority(async () => { out.push(nice(), p.describePriority([p.watchPriority(0).end()])); }, log);
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
out.push(nice(), p.watchPriority(0).end());`),
    ).toEqual({ out: [-10, -10, 0, -5, { nice: [-5], sampleEveryMs: 0 }], after: -5 });
    // A second Ctrl-C ends the process with process.exit, past every finally.
    expect(probe(`await p.withMeasuringPriority(async () => { out.push(nice()); done(); process.exit(130); });`)).toEqual({ out: [-10], after: 0 });
  });

  // What results record (watchPriority's account): a run at one priority throughout records that
  // nice; a change in the middle of a run (another chatbench run of the session ending), undone
  // before its end, is said; a watch read at the start and the end only (micro mode) cannot see it.
  // Without CAP_SYS_ADMIN the kernel refuses an autogroup write within 100 ms of the last (EAGAIN),
  // so each write here comes 110 ms or more after the one before.
  it.runIf(raised)('a change undone before the run\'s end is recorded', () => {
    expect(
      probe(`await p.withMeasuringPriority(async () => {
  const steady = p.watchPriority(10);
  await sleep(110);
  out.push(steady.end());
  const changed = p.watchPriority(10);
  const endsOnly = p.watchPriority(0);
  fs.writeFileSync('/proc/self/autogroup', '0');
  await sleep(120);
  fs.writeFileSync('/proc/self/autogroup', '-10');
  await sleep(120);
  out.push(changed.end(), changed.end() === changed.end(), endsOnly.end(), p.describePriority([steady.end(), changed.end(), steady.end()]));
}, log);
out.push(nice());`),
    ).toEqual({
      out: [
        { nice: [-10], sampleEveryMs: 10 },
        { nice: [-10, 0, -10], sampleEveryMs: 10 },
        true,
        { nice: [-10], sampleEveryMs: 0 },
        'differed between the measured runs: session autogroup nice -10; session autogroup nice changed during the run: -10, then 0, then -10 (read at the start, every 0.01 s and at the end)',
        0,
      ],
      after: 0,
    });
  });
});

describe('describePriority', () => {
  const run = (nice: (number | undefined)[], sampleEveryMs = 1_000): p.Priority => ({ nice, sampleEveryMs });
  const every1s = 'read at the start, every 1 s and at the end';
  it.each([
    ['no runs: nothing to record', [], undefined],
    ['one nice throughout', [run([-10])], 'session autogroup nice -10'],
    ['no autogroups', [run([undefined])], 'no autogroups on this kernel: chatbench at its nice value, the server at its own'],
    ['a change, with how it was read', [run([-10, 0, undefined], 0)], 'session autogroup nice changed during the run: -10, then 0, then no autogroup (read at the start and at the end)'],
    // A run at one nice throughout says nothing of how it was read, whatever its reading.
    ['runs at the same nice read two ways: one nice', [run([-10]), run([-10], 0)], 'session autogroup nice -10'],
    [
      'runs that differed: each account once, in order, and how the changing runs were read once',
      [run([-10]), run([-10, 0]), run([0, -10]), run([-10, 0]), run([-10])],
      `differed between the measured runs: session autogroup nice -10; session autogroup nice changed during the run: -10, then 0; session autogroup nice changed during the run: 0, then -10 (${every1s})`,
    ],
    // A micro run beside a load run, the same values: one account, read both ways.
    ['the same change read two ways', [run([-10, 0]), run([-10, 0], 0), run([-10, 0])], `session autogroup nice changed during the run: -10, then 0 (${every1s}; read at the start and at the end)`],
  ] as const)('%s', (_, runs, said) => {
    expect(p.describePriority(runs)).toBe(said);
  });
});
