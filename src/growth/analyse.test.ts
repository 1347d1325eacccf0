import { describe, expect, it } from 'vitest';
import { settingBytes } from './analyse.ts';
import { syntheticGrowth } from './fixtures.ts';

describe('growth fits, projections and memory crossings', () => {
  const r = syntheticGrowth({ 'btree-unpartitioned': { c: 50, b: 0.1 }, 'btree-weekly': { c: 20, b: 0.3 } }, [1e6, 1e7, 1e8], 1e9);

  it('recovers each design\'s known exponent from the measured points', () => {
    const p99 = (v: string) => r.fits.find((f) => f.variant === v && f.metric === 'p99:open-channel')!;
    expect(p99('btree-unpartitioned').exponent).toBeCloseTo(0.1, 9);
    expect(p99('btree-weekly').exponent).toBeCloseTo(0.3, 9);
    expect(r.fits.find((f) => f.variant === 'btree-weekly' && f.metric === 'indexBytes')!.exponent).toBeCloseTo(1, 9);
    expect(p99('btree-weekly')).toMatchObject({ n: 3, minMessages: 1e6, maxMessages: 1e8 });
  });

  it('projects to the target size, every value marked projected', () => {
    expect(r.projections.length).toBe(r.fits.length);
    expect(r.projections.every((p) => p.source === 'projected' && p.messages === 1e9)).toBe(true);
    const w = r.projections.find((p) => p.variant === 'btree-weekly' && p.metric === 'p99:open-channel')!;
    expect(w.value).toBeCloseTo(20 * 1e9 ** 0.3, 3);
  });

  it('finds where indexes outgrow shared_buffers and memory: projected beyond the data, measured within it', () => {
    const c = (limit: string) => r.crossings.find((x) => x.variant === 'btree-weekly' && x.limit === limit)!;
    // 90 bytes a message: 6 GiB at ~71.6M (measured at 100M), 24 GiB at ~286M (projected)
    expect(c('shared_buffers')).toMatchObject({ source: 'measured', messages: 1e8 });
    expect(c('memory').source).toBe('projected');
    expect(c('memory').messages! / ((24 * 2 ** 30) / 90)).toBeCloseTo(1, 6);
  });

  it('reads shared_buffers as the results record it', () => {
    expect([settingBytes('6GB'), settingBytes('128MB'), settingBytes('8kB'), settingBytes('lots')]).toEqual([6 * 2 ** 30, 128 * 2 ** 20, 8192, null]);
  });
});
