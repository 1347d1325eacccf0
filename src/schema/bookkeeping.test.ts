import { describe, expect, it } from 'vitest';
import { GENERATOR_VERSION } from '../generate/plan.ts';
import { dataKeyOf, sameData, taskMarkSql } from './bookkeeping.ts';

const PARAMS = { seed: 7, messages: 20_000, users: 300, servers: 8, startMs: Date.UTC(2026, 0, 1), days: 10 };

describe('the bookkeeping store', () => {
  it('names a data set by the model parameters and the generator version, nothing else', () => {
    const plan = { ...PARAMS, endMs: PARAMS.startMs + 10 * 86_400_000, rows: { messages: 20_000 }, generatorVersion: GENERATOR_VERSION };
    expect(dataKeyOf(plan)).toEqual({ ...PARAMS, generatorVersion: GENERATOR_VERSION });
    expect(sameData(plan, dataKeyOf(PARAMS))).toBe(true);
    expect(sameData(plan, { ...plan, rows: {} } as typeof plan)).toBe(true);
    for (const k of ['seed', 'messages', 'users', 'servers', 'startMs', 'days', 'generatorVersion'] as const) {
      expect(sameData(plan, { ...plan, [k]: plan[k] + 1 }), k).toBe(false);
    }
  });

  it('writes a task mark with escaped literals, NULL for no detail and whole milliseconds', () => {
    expect(taskMarkSql("it's", 'verify:messages', 12.6, undefined)).toMatch(/VALUES \('it''s', 'verify:messages', 13, NULL\)/);
    expect(taskMarkSql('v', 'k', 0, `{"n":1}'`)).toMatch(/VALUES \('v', 'k', 0, '\{"n":1\}'''\)/);
  });
});
