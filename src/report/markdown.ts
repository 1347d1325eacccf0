// summary.md: the verdict and the key tables in Markdown, embedding the PNG charts.
import { seedWallMs } from './html.ts';
import { formatBytes, formatCount, formatMs, formatRate, formatUs } from '../metrics/format.ts';
import type { BenchResults, CapacityResults, GrowthResults, Results, ScenarioResults, SeedResults } from '../results/types.ts';
import { mdCell } from './escape.ts';
import { EVENT_HEADER, eventCells, eventRows } from './event.ts';
import { verdict } from './verdict.ts';
import { sloMarkdown } from './slo.ts';

function mdTable(header: string[], rows: string[][]): string {
  return [`| ${header.map(mdCell).join(' | ')} |`, `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function images(pngs: string[]): string {
  return pngs.map((p) => `![${p}](${p})`).join('\n\n');
}

function scenarioMarkdown(r: ScenarioResults, pngs: string[]): string {
  const rows = verdict(r);
  const variants = r.variants.map((v) => v.variant);
  const verdictRows = rows.map((row) => [
    mdCell(row.operation),
    mdCell(row.fastestP50),
    ...variants.map((v) => {
      const c = row.cells.find((x) => x.variant === v);
      if (!c) return '–';
      const r50 = c.variant === row.fastestP50 ? 'fastest' : `${c.ratioP50.toFixed(2)}×${c.withinNoiseP50 ? ' (noise)' : ''}`;
      return `${formatUs(c.p50.value)} / ${formatUs(c.p99.value)} (${r50})`;
    }),
    mdCell(row.note),
  ]);
  const opRows = r.variants.flatMap((v) => v.operations.map((o) => [mdCell(v.variant), mdCell(o.name), formatCount(o.ok), formatCount(o.failed), formatCount(o.dropped), formatUs(o.latencyUs.p50), formatUs(o.latencyUs.p99), formatUs(o.latencyUs.p999)]));
  const bad = r.answerChecks.filter((c) => !c.ok).length;
  return `# ${mdCell(r.scenario.name)}: ${variants.map(mdCell).join(' vs ')}${r.partial ? ' (partial)' : ''}

**Question.** ${mdCell(r.scenario.question)}

${r.config.executor === 'open' ? `Open loop at ${r.config.ratePerSec}/s` : `Closed loop, ${r.config.concurrency} users`}, ${formatMs(r.config.durationMs)} per variant, run \`${mdCell(r.runId)}\`${r.seed ? `, ${formatCount(r.seed.messages)} messages (seed ${r.seed.seed})` : ''}.

## Verdict (p50 / p99, ratio to the fastest at p50)

${mdTable(['operation', 'fastest p50', ...variants, 'note'], verdictRows)}

${sloMarkdown(r)}Answer checks: ${r.answerChecks.length ? `${r.answerChecks.length - bad}/${r.answerChecks.length} identical across variants` : 'single variant'}.

## Operations

${mdTable(['variant', 'operation', 'ok', 'failed', 'dropped', 'p50', 'p99', 'p99.9'], opRows)}
${eventRows(r).length ? `\n## ${mdCell(eventRows(r)[0].operation)}: the event, and the other operations' p99 in it and outside it\n\n${mdTable(EVENT_HEADER, eventRows(r).map((e) => eventCells(e).map(mdCell)))}\n` : ''}
${images(pngs)}

Reproduce: \`${mdCell(r.command)}\` · PostgreSQL ${mdCell(r.environment.versions.postgres.split(' ').slice(0, 2).join(' '))} · ${r.environment.machine.cores} cores
`;
}

function seedMarkdown(r: SeedResults, pngs: string[]): string {
  const rows = r.variants.map((v) => [mdCell(v.variant), formatCount(v.rows.messages ?? 0), formatMs(v.totalMs ?? seedWallMs(v.steps)), v.facts.loadRowsPerSec ? formatCount(v.facts.loadRowsPerSec) : '–', formatBytes(v.facts.totalBytes), mdCell(v.steps.map((s) => `${s.name} ${formatMs(s.ms)}`).join(', '))]);
  return `# seed: ${formatCount(r.plan.messages)} messages (seed ${r.plan.seed})${r.partial ? ' (partial)' : ''}

${mdTable(['variant', 'messages', 'total', 'load rows/s', 'on disk', 'steps'], rows)}

${images(pngs)}

Reproduce: \`${mdCell(r.command)}\`
`;
}

function benchMarkdown(r: BenchResults, pngs: string[]): string {
  const rows = r.comparisons.map((c) => [mdCell(c.name), mdCell(c.peer), `${formatRate(c.peerValue)} ${mdCell(c.unit)}`, `${formatRate(c.chatbenchValue)} ${mdCell(c.unit)}`, `**${c.ratio.toFixed(2)}×**`, c.target === undefined ? '–' : `≥ ${c.target}× ${c.met ? '(met)' : '(NOT met)'}`]);
  return `# bench: ${mdCell(r.bench)}

${mdTable(['comparison', 'peer', 'peer', 'chatbench', 'ratio', 'target'], rows)}

${images(pngs)}

Reproduce: \`${mdCell(r.command)}\` · ${mdCell(r.environment.versions.postgres.split(',')[0])} · ${r.environment.machine.cores} cores
`;
}

export function markdownFor(r: Exclude<Results, CapacityResults | GrowthResults>, pngs: string[]): string {
  return r.kind === 'scenario' ? scenarioMarkdown(r, pngs) : r.kind === 'seed' ? seedMarkdown(r, pngs) : benchMarkdown(r, pngs);
}
