import { describe, expect, it } from 'vitest';
import { kept, type PairRepeat } from './fidelity.ts';

const pair: [{ name: string }, { name: string }] = [{ name: 'a' }, { name: 'b' }];

/** One repeat: p50s, means and the server's mean in each tool's windows, design a then b. */
function rep(pg: [number, number], cb: [number, number], pgServer: [number, number], cbServer: [number, number], means?: { pg: [number, number]; cb: [number, number] }): PairRepeat {
  return { pgbenchP50Us: pg, chatbenchP50Us: cb, pgbenchMeanUs: means?.pg ?? pg, chatbenchMeanUs: means?.cb ?? cb, pgbenchServerMeanUs: pgServer, serverMeanUs: cbServer };
}

describe('bench fidelity: difference kept', () => {
  it('is (r_chatbench - 1) / (r_pgbench - 1) over the medians of the repeats, slower over faster as pgbench sees them', () => {
    // b is the faster design under pgbench: the ratios are a / b.
    const reps = [rep([400, 200], [380, 200], [300, 100], [300, 100]), rep([600, 200], [500, 200], [500, 100], [400, 100]), rep([500, 200], [450, 200], [400, 100], [350, 100])];
    const [row] = kept('page', reps, pair);
    expect(row.peerValue).toBeCloseTo(2.5); // median of 2, 3, 2.5
    expect(row.chatbenchValue).toBeCloseTo(2.25); // median of 1.9, 2.5, 2.25
    expect(row.ratio).toBeCloseTo(1.25 / 1.5);
    expect(row.met).toBe(false);
    expect(row.detail).toContain('p50 ratio a / b');
    expect(row.detail).toContain('pgbench 200/400, 200/600, 200/500');
  });

  it('adds a row of each tool against the server in its own windows, and says when the server moved between them', () => {
    // pgbench's windows: the server ran b 2x a, pgbench's means 1.5x (keeps 0.5); chatbench's
    // windows: the server ran 3x, chatbench's means 2x (keeps 0.5): as faithful, though its p50
    // ratio is further from pgbench's than the first row allows.
    const same = { pg: [100, 150] as [number, number], cb: [100, 200] as [number, number] };
    const reps = [rep([100, 150], [100, 200], [50, 100], [50, 150], same)];
    const rows = kept('page', reps, pair);
    expect(rows).toHaveLength(2);
    expect(rows[0].ratio).toBeCloseTo(2);
    expect(rows[1].peerValue).toBeCloseTo(0.5);
    expect(rows[1].chatbenchValue).toBeCloseTo(0.5);
    expect(rows[1].ratio).toBeCloseTo(1);
    expect(rows[1].target).toBeUndefined();
    expect(rows[1].detail).toContain("differed by 50% between the tools' windows");
    const steady = kept('page', [rep([100, 150], [100, 200], [50, 100], [52, 104], same)], pair);
    expect(steady[1].detail).toContain("differed by 0% between the tools' windows.");
    expect(steady[1].detail).not.toContain('two states');
  });

  it('gives only the first row, and says why, where pg_stat_statements could not be read or the server saw no difference', () => {
    const unread = kept('page', [rep([100, 200], [100, 190], [0, 0], [0, 0])], pair);
    expect(unread).toHaveLength(1);
    expect(unread[0].detail).toContain("server mean exec in pgbench's windows unavailable, in chatbench's unavailable");
    expect(unread[0].detail).toContain("pg_stat_statements' figures are missing");
    const flat = kept('page', [rep([100, 200], [100, 190], [100, 100], [100, 150])], pair);
    expect(flat).toHaveLength(1);
    expect(flat[0].detail).toContain('the server measured no difference');
  });

  it('writes only finite numbers, which results.json can hold, where pgbench saw no difference', () => {
    const rows = kept('page', [rep([200, 200], [150, 160], [100, 150], [100, 150])], pair);
    expect(rows.flatMap((r) => [r.peerValue, r.chatbenchValue, r.ratio]).every(Number.isFinite)).toBe(true);
    expect(rows[0].ratio).toBe(0);
    expect(rows[0].met).toBe(false);
    expect(rows[0].detail).toMatch(/^pgbench measured no difference/);
  });
});
