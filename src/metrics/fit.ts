// Power laws fitted on log-log axes: y = c · x^b by least squares on (log x, log y), with the
// exponent's 95% interval and prediction intervals from Student's t when three or more points
// leave degrees of freedom. Pure; what is measured and what is extrapolated is the caller's to label.

export interface PowerLawFit {
  n: number;
  /** b in y = c · x^b. */
  exponent: number;
  exponentLow: number | null;
  exponentHigh: number | null;
  /** log c (natural log). */
  logCoefficient: number;
  /** Share of the variance of log y the line explains; null with two points (always 1). */
  r2: number | null;
  /** Residual standard deviation in log space; null with two points. */
  residualSd: number | null;
  meanLogX: number;
  sxxLog: number;
}

/** Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom. */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];
export const t975 = (df: number): number => (df >= 1 && df <= 30 ? T975[df - 1] : 1.96);

export class FitError extends Error {
  override readonly name = 'FitError';
}

/** Fits y = c · x^b; needs two or more points with distinct positive x and positive y. */
export function fitPowerLaw(points: ReadonlyArray<{ x: number; y: number }>): PowerLawFit {
  const usable = points.filter((p) => p.x > 0 && p.y > 0 && Number.isFinite(p.x) && Number.isFinite(p.y));
  const lx = usable.map((p) => Math.log(p.x));
  const ly = usable.map((p) => Math.log(p.y));
  const n = usable.length;
  if (n < 2 || new Set(lx).size < 2) throw new FitError(`a power law needs two or more sizes with positive values (got ${n})`);
  const mx = lx.reduce((a, b) => a + b, 0) / n;
  const my = ly.reduce((a, b) => a + b, 0) / n;
  const sxx = lx.reduce((a, x) => a + (x - mx) ** 2, 0);
  const sxy = lx.reduce((a, x, i) => a + (x - mx) * (ly[i] - my), 0);
  const syy = ly.reduce((a, y) => a + (y - my) ** 2, 0);
  const b = sxy / sxx;
  const a = my - b * mx;
  if (n === 2) return { n, exponent: b, exponentLow: null, exponentHigh: null, logCoefficient: a, r2: null, residualSd: null, meanLogX: mx, sxxLog: sxx };
  const sse = lx.reduce((acc, x, i) => acc + (ly[i] - (a + b * x)) ** 2, 0);
  const s = Math.sqrt(sse / (n - 2));
  const half = t975(n - 2) * (s / Math.sqrt(sxx));
  return { n, exponent: b, exponentLow: b - half, exponentHigh: b + half, logCoefficient: a, r2: syy > 0 ? 1 - sse / syy : 1, residualSd: s, meanLogX: mx, sxxLog: sxx };
}

export interface Prediction {
  value: number;
  /** 95% prediction interval; null when the fit has no degrees of freedom left. */
  low: number | null;
  high: number | null;
}

export function predictPowerLaw(f: Pick<PowerLawFit, 'n' | 'exponent' | 'logCoefficient' | 'residualSd' | 'meanLogX' | 'sxxLog'>, x: number): Prediction {
  const lx = Math.log(x);
  const center = f.logCoefficient + f.exponent * lx;
  if (f.residualSd === null || f.n < 3) return { value: Math.exp(center), low: null, high: null };
  const se = f.residualSd * Math.sqrt(1 + 1 / f.n + (lx - f.meanLogX) ** 2 / f.sxxLog);
  const half = t975(f.n - 2) * se;
  return { value: Math.exp(center), low: Math.exp(center - half), high: Math.exp(center + half) };
}

/** The x at which the fitted line reaches y; null if it never does going up (a flat or falling fit). */
export function crossingX(f: Pick<PowerLawFit, 'exponent' | 'logCoefficient'>, y: number): number | null {
  if (!(f.exponent > 1e-9) || !(y > 0)) return null;
  return Math.exp((Math.log(y) - f.logCoefficient) / f.exponent);
}
