import { describe, expect, it } from 'vitest';
import { crossingX, fitPowerLaw, FitError, predictPowerLaw } from './fit.ts';

const law = (c: number, b: number) => (x: number) => c * x ** b;

describe('power-law fit on log-log axes', () => {
  it.each([
    [0.5, [1e5, 1e6, 1e7, 1e8]],
    [1, [1e6, 1e7, 1e8]],
    [0.08, [1e5, 1e6]],
    [-0.3, [2e5, 2e6, 2e7]],
  ])('recovers exponent %d from exact synthetic points', (b, xs) => {
    const f = fitPowerLaw(xs.map((x) => ({ x, y: law(3, b)(x) })));
    expect(f.exponent).toBeCloseTo(b, 10);
    expect(Math.exp(f.logCoefficient)).toBeCloseTo(3, 8);
    if (xs.length > 2) expect(f.r2).toBeCloseTo(1, 10);
    else expect(f.r2).toBeNull();
  });

  it('recovers a known exponent through noise, and its 95% interval covers it', () => {
    // multiplicative noise of ±10%, fixed (no randomness in tests)
    const noise = [1.08, 0.93, 1.1, 0.95, 1.02, 0.9];
    const xs = [1e5, 3e5, 1e6, 3e6, 1e7, 3e7];
    const f = fitPowerLaw(xs.map((x, i) => ({ x, y: law(40, 0.35)(x) * noise[i] })));
    expect(Math.abs(f.exponent - 0.35)).toBeLessThan(0.03);
    expect(f.exponentLow!).toBeLessThan(0.35);
    expect(f.exponentHigh!).toBeGreaterThan(0.35);
    expect(f.r2!).toBeGreaterThan(0.95);
  });

  it('projects with a prediction interval that widens away from the data', () => {
    const xs = [1e6, 1e7, 1e8];
    const f = fitPowerLaw(xs.map((x, i) => ({ x, y: law(2, 0.2)(x) * [1.05, 0.95, 1.03][i] })));
    const near = predictPowerLaw(f, 1e7);
    const far = predictPowerLaw(f, 1e9);
    expect(far.value).toBeCloseTo(law(2, 0.2)(1e9), -1);
    expect(far.high! / far.low!).toBeGreaterThan(near.high! / near.low!);
    expect(near.low!).toBeLessThan(near.value);
    const two = fitPowerLaw([{ x: 1e6, y: 10 }, { x: 1e7, y: 20 }]);
    expect(predictPowerLaw(two, 1e9)).toEqual({ value: expect.closeTo(80, 6), low: null, high: null });
  });

  it('finds where a growing fit crosses a limit, and says never for a flat one', () => {
    const f = fitPowerLaw([1e6, 1e7, 1e8].map((x) => ({ x, y: 90 * x })));
    expect(crossingX(f, 90 * 5e9)).toBeCloseTo(5e9, -3);
    expect(crossingX(fitPowerLaw([{ x: 1, y: 5 }, { x: 10, y: 5 }]), 10)).toBeNull();
  });

  it('refuses fewer than two usable sizes', () => {
    expect(() => fitPowerLaw([{ x: 1e6, y: 3 }])).toThrow(FitError);
    expect(() => fitPowerLaw([{ x: 1e6, y: 3 }, { x: 1e6, y: 4 }])).toThrow(FitError);
    expect(() => fitPowerLaw([{ x: 1e6, y: 3 }, { x: 1e7, y: 0 }])).toThrow(FitError);
  });
});
