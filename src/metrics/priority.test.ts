import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Each case runs in a session of its own (setsid), whose autogroup nobody else changes: the test
// runner's session is shared with the commands other test files run, which raise and restore it.
const here = path.dirname(fileURLToPath(import.meta.url));
const probe = (body: string) => {
  const script = `import * as p from ${JSON.stringify(path.join(here, 'priority.ts'))};
const out = [];
const nice = () => p.sessionNice();
${body}
console.log(JSON.stringify(out));`;
  const r = spawnSync('setsid', ['-w', process.execPath, '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as unknown[];
};
const autogroups = fs.existsSync('/proc/self/autogroup') && fs.readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1';
const privileged = process.getuid?.() === 0;

describe('withMeasuringPriority', () => {
  it('raises the session while measuring and puts back what it found, after a failure too', () => {
    const out = probe(`out.push(nice());
await p.withMeasuringPriority(async () => { out.push(nice(), p.describePriority()); });
out.push(nice());
await p.withMeasuringPriority(async () => { throw new Error('x'); }).catch(() => {});
out.push(nice());`);
    if (!autogroups) {
      expect(out).toEqual([null, null, expect.stringMatching(/^no autogroups/), null, null]);
      return;
    }
    if (!privileged) {
      expect(out).toEqual([0, 0, expect.stringMatching(/not raised: needs root or CAP_SYS_NICE/), 0, 0]);
      return;
    }
    expect(out).toEqual([0, -10, 'session autogroup nice -10 (raised while measuring)', 0, 0]);
  });

  it.runIf(autogroups && privileged)('leaves alone a session already raised (nested runs) and one changed meanwhile', () => {
    const out = probe(`await p.withMeasuringPriority(async () => {
  await p.withMeasuringPriority(async () => { out.push(nice()); });
  out.push(nice());
});
out.push(nice());
await p.withMeasuringPriority(async () => { (await import('node:fs')).writeFileSync('/proc/self/autogroup', '-5'); });
out.push(nice(), p.describePriority());`);
    expect(out).toEqual([-10, -10, 0, -5, 'session autogroup nice -5']);
  });
});
