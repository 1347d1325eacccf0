import { describe, expect, it } from 'vitest';
import { outOfCache, REFERENCE, relativeBuildCost, timeModel, type TimeModelInput } from './seed-time.ts';

const GB = 1024 ** 3;
const input = (over: Partial<TimeModelInput> = {}): TimeModelInput => ({
  messages: 10_000_000,
  rows: { messages: 10_000_000, reactions: 3_000_000, message_edits: 287_500, attachments: 520_000, users: 50_000, channels: 95_000, read_states: 1_000_000 },
  variants: [{ name: 'a', heapBytes: 3 * GB, messageLeaves: 4, indexes: [{ name: 'messages_pkey', table: 'messages', bytes: GB, kind: 'btree-sorted' }, { name: 'messages_author_id_idx', table: 'messages', bytes: GB / 2, kind: 'btree' }, { name: 'messages_created_at_idx', table: 'messages', bytes: 1e6, kind: 'brin' }] }],
  jobs: 2,
  cores: 2,
  cacheBytes: 16 * GB,
  speed: 1,
  verify: 'sample',
  ...over,
});
const step = (m: ReturnType<typeof timeModel>, name: string) => m.steps.find((s) => s.step === name)!;

describe('the seed time model (the arithmetic of --dry-run)', () => {
  it('loads at the reference work per message, shared by the cores; one generation for every variant', () => {
    const one = timeModel(input());
    expect(step(one, 'load').workSeconds).toBeCloseTo(10e6 * REFERENCE.loadUsPerMessage * 1e-6);
    expect(step(one, 'load').seconds).toBeCloseTo(step(one, 'load').workSeconds / 2);
    const v = input().variants[0];
    const three = timeModel(input({ variants: [v, { ...v, name: 'b' }, { ...v, name: 'c' }] }));
    const perVariant = REFERENCE.loadUsPerMessage - REFERENCE.generateUsPerMessage;
    expect(step(three, 'load').workSeconds).toBeCloseTo(10e6 * 1e-6 * (3 * perVariant + REFERENCE.generateUsPerMessage));
  });

  it('builds indexes at the cost of their kind, growing with the log of the entries per partition', () => {
    const m = timeModel(input());
    const leaf = 10e6 / 4;
    const sortFactor = Math.max(0.5, Math.log2(leaf) / Math.log2(REFERENCE.index.referenceLeafEntries));
    const us = REFERENCE.index.perRowUs;
    const expected = 10e6 * 1e-6 * ((us['btree-sorted'] + us.btree) * sortFactor + us.brin);
    expect(step(m, 'indexes').workSeconds).toBeCloseTo(expected);
    // one partition instead of four: bigger sorts, more work per entry
    expect(step(timeModel(input({ variants: [{ ...input().variants[0], messageLeaves: 1 }] })), 'indexes').workSeconds).toBeGreaterThan(expected);
  });

  it('costs a full-text index by the rows it parses, and a GIN over an array as about a primary key (not as a scan)', () => {
    const v = input().variants[0];
    const fts = { name: 'messages_content_fts_idx', table: 'messages', bytes: GB, kind: 'full-text' as const };
    const mentions = { name: 'messages_mentions_idx', table: 'messages', bytes: 1e6, kind: 'gin-array' as const };
    const base = step(timeModel(input()), 'indexes').workSeconds;
    const sortFactor = Math.max(0.5, Math.log2(10e6 / 4) / Math.log2(REFERENCE.index.referenceLeafEntries));
    expect(step(timeModel(input({ variants: [{ ...v, indexes: [...v.indexes, fts] }] })), 'indexes').workSeconds - base).toBeCloseTo(10e6 * 1e-6 * REFERENCE.index.perRowUs['full-text']);
    const withMentions = timeModel(input({ variants: [{ ...v, indexes: [...v.indexes, mentions] }] }));
    expect(step(withMentions, 'indexes').workSeconds - base).toBeCloseTo(10e6 * 1e-6 * REFERENCE.index.perRowUs['gin-array'] * sortFactor);
    // Measured at 100M in btree-monthly: 109 s against the primary key's 128 s (0.85x); 8.2 against 7.3 s at 10M.
    const work = (name: string) => withMentions.builds.find((b) => b.name === name)!.workSeconds;
    expect(work('messages_mentions_idx') / work('messages_pkey')).toBeGreaterThan(0.7);
    expect(work('messages_mentions_idx') / work('messages_pkey')).toBeLessThan(1.4);
  });

  it('gives the post-load order the same relative costs: a B-tree is 1 on average, the mentions GIN about a key, full text tens of times more', () => {
    expect((relativeBuildCost('btree-sorted') + relativeBuildCost('btree')) / 2).toBeCloseTo(1);
    expect(relativeBuildCost('gin-array') / relativeBuildCost('btree-sorted')).toBeGreaterThan(0.5);
    expect(relativeBuildCost('gin-array') / relativeBuildCost('btree-sorted')).toBeLessThan(2);
    expect(relativeBuildCost('full-text') / relativeBuildCost('btree')).toBeGreaterThan(20);
    expect(relativeBuildCost('btree-sparse')).toBeLessThan(relativeBuildCost('btree-sorted'));
  });

  it('runs the counters on one connection beside the other steps', () => {
    const m = timeModel(input());
    const shared = m.steps.filter((s) => !['load', 'reconcile'].includes(s.step)).reduce((a, s) => a + s.workSeconds, 0);
    expect(m.postLoadSeconds).toBeCloseTo(Math.max((shared + step(m, 'reconcile').workSeconds) / 2, step(m, 'reconcile').workSeconds));
    expect(m.totalSeconds).toBeCloseTo(m.loadSeconds + m.postLoadSeconds);
  });

  it('slows the steps that read data once it outgrows the page cache', () => {
    expect(outOfCache(8 * GB, 16 * GB)).toBe(0);
    expect(outOfCache(64 * GB, 16 * GB)).toBeCloseTo(0.75);
    const inMemory = timeModel(input());
    const outOfMemory = timeModel(input({ cacheBytes: 1 * GB }));
    const share = outOfCache(3 * GB, 1 * GB);
    expect(step(outOfMemory, 'load').workSeconds / step(inMemory, 'load').workSeconds).toBeCloseTo(1 + REFERENCE.outOfMemory.load * share);
    // The counters are counted while loading: an update of channels, which reads no message.
    expect(step(inMemory, 'reconcile').workSeconds).toBeCloseTo(95_000 * 1e-6 * REFERENCE.reconcileUsPerChannel);
    expect(step(outOfMemory, 'reconcile').workSeconds).toBeCloseTo(step(inMemory, 'reconcile').workSeconds);
  });

  it('scales every step with the calibrated speed, and the verification with its mode', () => {
    const base = timeModel(input());
    const fast = timeModel(input({ speed: 2 }));
    expect(fast.totalSeconds).toBeCloseTo(base.totalSeconds / 2);
    expect(step(timeModel(input({ verify: 'none' })), 'verify').seconds).toBe(0);
    expect(step(timeModel(input({ verify: 'full' })), 'checksums').seconds).toBeGreaterThan(step(base, 'checksums').seconds);
  });

  it('seeds groups one after another: one generation per group, the groups\' times summed', () => {
    const v = input().variants[0];
    const three = input({ variants: [v, { ...v, name: 'b' }, { ...v, name: 'c' }] });
    const together = timeModel(three);
    const apart = timeModel({ ...three, groups: [[0, 1], [2]] });
    // two generations instead of one; every other step's work is the same
    expect(step(apart, 'load').workSeconds - step(together, 'load').workSeconds).toBeCloseTo(10e6 * 1e-6 * REFERENCE.generateUsPerMessage);
    expect(step(apart, 'indexes').workSeconds).toBeCloseTo(step(together, 'indexes').workSeconds);
    expect(apart.groups.map((g) => g.variants)).toEqual([['a', 'b'], ['c']]);
    // each group's time is that group modelled alone
    const alone = timeModel({ ...three, variants: [v] });
    expect(apart.groups[1].loadSeconds).toBeCloseTo(alone.loadSeconds);
    expect(apart.groups[1].postLoadSeconds).toBeCloseTo(alone.postLoadSeconds);
    expect(apart.totalSeconds).toBeCloseTo(timeModel({ ...three, variants: [v, v] }).totalSeconds + alone.totalSeconds);
    expect(timeModel({ ...three, groups: [] }).totalSeconds).toBeCloseTo(together.totalSeconds);
    expect(apart.builds).toHaveLength(together.builds.length);
    expect(step(apart, 'load').detail).toMatch(/3 variant\(s\) in 2 groups/);
    expect(together.groups).toHaveLength(1);
  });
});
