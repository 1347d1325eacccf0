import { describe, expect, it } from 'vitest';
import { routeKey, type Leaf } from './layout.ts';
import { notValidForm } from './post-load-plan.ts';

const leaves: Leaf[] = [
  { relation: 'm_default', from: -Infinity, to: Infinity, isDefault: true },
  { relation: 'm_jan', from: 0, to: 100, isDefault: false },
  { relation: 'm_feb', from: 100, to: 200, isDefault: false },
];

describe('routing rows to range partitions', () => {
  it('finds the range that holds a key, else the default partition', () => {
    expect([0, 99, 100, 199, 200, -1, Number.NaN].map((k) => routeKey(leaves, k))).toEqual([1, 1, 2, 2, 0, 0, 0]);
    expect(routeKey(leaves.slice(1), 250)).toBe(-1);
  });

  it('uses the last answer as a hint without trusting it', () => {
    expect(routeKey(leaves, 150, 1)).toBe(2);
    expect(routeKey(leaves, 150, 2)).toBe(2);
    expect(routeKey(leaves, 500, 0)).toBe(0);
  });
});

describe('foreign keys added NOT VALID', () => {
  it('rewrites one ADD CONSTRAINT ... FOREIGN KEY, and nothing else', () => {
    expect(notValidForm('ALTER TABLE a ADD CONSTRAINT a_b_fkey FOREIGN KEY (b) REFERENCES b (id) ON DELETE CASCADE;')).toBe('ALTER TABLE a ADD CONSTRAINT a_b_fkey FOREIGN KEY (b) REFERENCES b (id) ON DELETE CASCADE NOT VALID');
    expect(notValidForm('ALTER TABLE a ADD CONSTRAINT x FOREIGN KEY (b, c) REFERENCES b (id, t)')).toMatch(/NOT VALID$/);
    expect(notValidForm('ALTER TABLE a ADD CONSTRAINT x FOREIGN KEY (b) REFERENCES b (id), ADD CONSTRAINT y CHECK (b > 0)')).toBeUndefined();
    expect(notValidForm('ALTER TABLE a ADD CONSTRAINT x FOREIGN KEY (b) REFERENCES b (id) NOT VALID')).toBeUndefined();
    expect(notValidForm('CREATE INDEX ON a (b)')).toBeUndefined();
    expect(notValidForm('-- a comment, with a comma\nALTER TABLE a ADD CONSTRAINT x FOREIGN KEY (b) REFERENCES b (id)')).toBe('ALTER TABLE a ADD CONSTRAINT x FOREIGN KEY (b) REFERENCES b (id) NOT VALID');
  });
});
