// The latency objective (--slo) of a scenario run, per variant: met, or which percentile of which
// operation missed and by how much. Shown with the verdict, in the page and in summary.md.
import { formatUs } from '../metrics/format.ts';
import { describeCheck, formatObjective, sloMet } from '../metrics/slo.ts';
import type { ScenarioResults } from '../results/types.ts';
import { esc, mdCell } from './escape.ts';

export function sloSection(r: ScenarioResults, swatch: (v: string) => string): string {
  const terms = r.config.slo;
  if (!terms?.length) return '';
  const rows = r.variants
    .map((v) => {
      const checks = v.slo ?? [];
      const met = sloMet(checks);
      return `<tr data-variant="${esc(v.variant)}" data-slo="${met ? 'met' : 'missed'}"><td class="l">${swatch(v.variant)}</td><td><span class="badge ${met ? 'good' : 'bad'}">${met ? 'met' : 'missed'}</span></td><td class="l">${checks
        .map((c) => `<div${c.met ? '' : ' class="win"'}>${esc(describeCheck(c))}${c.samples ? ` <span class="muted">(${c.samples} samples, 95% band ${esc(formatUs(c.lowUs))}–${esc(formatUs(c.highUs))})</span>` : ''}</div>`)
        .join('')}</td></tr>`;
    })
    .join('');
  return `<h3 id="slo">Objective: ${esc(formatObjective(terms))}</h3>
<table id="slo-table"><thead><tr><th class="l">variant</th><th>objective</th><th class="l">percentiles</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function sloMarkdown(r: ScenarioResults): string {
  const terms = r.config.slo;
  if (!terms?.length) return '';
  return `**Objective ${mdCell(formatObjective(terms))}.** ${r.variants.map((v) => `${mdCell(v.variant)}: ${sloMet(v.slo ?? []) ? 'met' : `**missed** (${mdCell((v.slo ?? []).filter((c) => !c.met).map(describeCheck).join('; '))})`}`).join('; ')}\n\n`;
}
