// The seed in words, for the command to print: the plan, the dry-run's estimate step by step, the
// progress line, and the summary of a run. Pure formatting of the engine's results.
import { DISTRIBUTION } from '../generate/model.ts';
import type { DataPlan } from '../generate/plan.ts';
import { formatBytes, formatCount, formatMs, shortCount } from '../metrics/format.ts';
import type { SeedResults, VariantSeedResult } from '../results/types.ts';
import { safetyMargin } from './choose.ts';
import type { SeedPreparation } from './prepare.ts';
import type { ProgressSnapshot } from './progress.ts';
import { REFERENCE } from './seed-time.ts';

export function planLines(plan: DataPlan): string[] {
  const lines = [
    `data: seed ${plan.seed}, ${formatCount(plan.messages)} messages over ${plan.days} days from ${new Date(plan.startMs).toISOString().slice(0, 10)},`,
    `      ${formatCount(plan.users)} users (messages/${DISTRIBUTION.messagesPerUser}), ${formatCount(plan.servers)} servers (users/${DISTRIBUTION.usersPerServer}), channels Zipf per server`,
    'rows:',
  ];
  for (const [t, n] of Object.entries(plan.rows)) lines.push(`  ${t.padEnd(30)} ${plan.exact.includes(t as never) ? ' ' : '~'}${formatCount(n).padStart(14)}`);
  return lines;
}

/** The dry run: plan, sizes per variant, every step's estimate, disk and memory. */
export function estimateLines(p: SeedPreparation): string[] {
  const e = p.estimate;
  const lines = [...planLines(p.plan), ''];
  if (p.choice) lines.push(p.choice, '');
  lines.push(`generator: ${formatCount(Math.round(p.calibration.generatorRowsPerSec))} messages/s on one core (calibrated here)`);
  lines.push(p.calibrated ? `server: a ${formatCount(20_000)}-message sample COPYed into each variant in a rolled-back transaction; ${e.speedNote}` : `server: not calibrated (the embedded server is not initialised yet, and --dry-run creates nothing); ${e.speedNote}`);
  lines.push('');
  for (const v of e.variants) {
    lines.push(`${v.variant}: ~${formatBytes(v.totalBytes)} on disk`);
    for (const t of v.tables.filter((x) => x.rows > 0)) {
      const idx = Object.entries(t.indexes).map(([k, b]) => `${k} ${formatBytes(b)}`).join(', ');
      lines.push(`  ${t.table.padEnd(30)} heap ${formatBytes(t.heapBytes).padStart(9)}${idx ? `; ${idx}` : ''}`);
    }
  }
  lines.push('', `time by step (${p.variants.length} variant(s), ${e.time.steps.length ? 'work per row fitted from seeds at 10M and 100M messages on a quiet 2-core machine, slowed where the data outgrows memory; docs/PERFORMANCE.md' : ''}):`);
  for (const s of e.time.steps) lines.push(`  ${s.step.padEnd(14)} ${formatMs(s.seconds * 1000).padStart(9)}   ${s.detail}`);
  const groups = e.time.groups;
  const after = groups.length > 1 ? `${groups.length} groups, each loaded, then the rest on shared connections (steps overlap)` : `load ${formatMs(e.time.loadSeconds * 1000)}, then the rest on ${p.variants.length > 1 ? 'shared' : 'parallel'} connections (steps overlap)`;
  lines.push(`  ${'total'.padEnd(14)} ${formatMs(e.time.totalSeconds * 1000).padStart(9)}   ${after}`);
  if (groups.length > 1) {
    lines.push('', `groups (designs that fit together in the ~${formatBytes(e.cacheBytes)} of memory left to the page cache, or one alone, so index builds read what the load wrote from memory):`);
    groups.forEach((g, i) => lines.push(`  ${String(i + 1).padStart(2)}. ${g.variants.join(', ')}: load ${formatMs(g.loadSeconds * 1000)}, the rest ${formatMs(g.postLoadSeconds * 1000)}`));
  }
  const free = p.freeBytes;
  lines.push(
    '',
    `disk: ~${formatBytes(e.diskBytes)} needed (with 10% for bloat and sort files); free: ${free === undefined ? 'unknown (not the embedded server)' : `${formatBytes(free)}${free - safetyMargin(free) < e.diskBytes ? '  << NOT ENOUGH' : ''}`}`,
    `memory: ${e.memory.detail} (~${formatBytes(e.memory.serverBytes)})`,
    `reference machine: a sample COPY at ${formatCount(REFERENCE.serverMessagesPerSec)} messages/s`,
  );
  return lines;
}

/** The estimate as a seed's results keep it (to compare with what the seed took). */
export function estimateSummary(p: SeedPreparation): NonNullable<SeedResults['estimate']> {
  const t = p.estimate.time;
  const server = Object.values(p.calibration.serverRowsPerSec);
  return {
    serverMessagesPerSec: server.length ? Math.round(server.reduce((a, b) => a + b, 0) / server.length) : undefined,
    generatorMessagesPerSec: Math.round(p.calibration.generatorRowsPerSec),
    speed: p.estimate.speed,
    loadSeconds: Math.round(t.loadSeconds),
    postLoadSeconds: Math.round(t.postLoadSeconds),
    totalSeconds: Math.round(t.totalSeconds),
    steps: t.steps.map((s) => ({ step: s.step, seconds: Math.round(s.seconds) })),
  };
}

export function progressText(p: ProgressSnapshot): string {
  const group = p.group && p.group.of > 1 ? `group ${p.group.at}/${p.group.of}: ` : '';
  const what = group + (p.phase === 'load' ? `load ${shortCount(p.rowsDone)}/${shortCount(p.rowsTotal)} rows` : p.steps.slice(0, 3).join(', ') || p.phase);
  const wal = p.walMbPerSec === null ? '' : `  WAL ${p.walMbPerSec.toFixed(1)} MB/s`;
  return `${what}  ${shortCount(p.rowsPerSec)} rows/s  ${p.mbPerSec.toFixed(1)} MB/s${wal}  ${formatMs(p.elapsedMs)} elapsed${p.etaMs === undefined ? '' : `, seed ETA ${formatMs(p.etaMs)}`}`;
}

export function summaryLines(results: VariantSeedResult[], totalMs: number): string[] {
  const lines = results.map((r) => {
    const load = r.steps.find((s) => s.name === 'load');
    return `${r.variant}: ${formatCount(r.rows.messages ?? 0)} messages, ${formatBytes(r.facts.totalBytes)}${load ? `, load ${formatMs(load.ms)}` : ''}${r.facts.loadRowsPerSec ? ` (${formatCount(r.facts.loadRowsPerSec)} rows/s)` : ''}${r.resumed ? ', resumed' : ''}`;
  });
  if (results.length) lines.push(`seeded in ${formatMs(totalMs)}`);
  return lines;
}
