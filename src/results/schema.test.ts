import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readResults, writeResults } from './io.ts';
import { resultsJsonSchema } from './schema.ts';

const ROOT = path.join(import.meta.dirname, '..', '..');
const scenarioRun = () => JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'results-scenario.json'), 'utf8'));

describe('the results schema', () => {
  it('docs/results.schema.json is the one generated from it (npm run results-schema)', () => {
    expect(fs.readFileSync(path.join(ROOT, 'docs', 'results.schema.json'), 'utf8')).toBe(resultsJsonSchema());
  });

  const read = (value: unknown) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatbench-schema-'));
    try {
      writeResults(dir, value as never);
      return readResults(dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };

  it('reads a scenario run, keeping fields it does not list', () => {
    const r = { ...scenarioRun(), addedLater: { x: 1 } };
    expect(read(r)).toEqual(r);
  });

  it.each<[string, (r: Record<string, any>) => void, RegExp]>([
    ['a missing field', (r) => delete r.environment.versions, /: missing environment\.versions$/],
    ['a field of the wrong type', (r) => (r.variants[0].operations[0].latencyUs.p99 = '12'), /: variants\[0\]\.operations\[0\]\.latencyUs\.p99: expected number, received string$/],
    ['a negative count', (r) => (r.variants[0].operations[0].ok = -1), /: variants\[0\]\.operations\[0\]\.ok: /],
    ['an unknown kind', (r) => (r.kind = 'mystery'), /: unknown kind mystery$/],
    ['a broken identity', (r) => (r.variants[0].operations[0].attempted += 2), /: btree-unpartitioned\/open-channel: attempted \d+ != ok \d+ \+ failed 0 \+ dropped 0$/],
  ])('refuses %s, naming the field', (_, spoil, message) => {
    const r = scenarioRun();
    spoil(r);
    expect(() => read(r)).toThrow(message);
  });
});
