import { describe, expect, it } from 'vitest';
import type { TableName } from '../generate/tables.ts';
import type { TableLayout } from './layout.ts';
import { probeStrategy } from './post-load.ts';

const leaves = (n: number): TableLayout => ({ table: 'reactions', kind: 'routed', unlogged: false, leaves: Array.from({ length: n }, (_, i) => ({ relation: `r${i}`, from: i, to: i + 1, isDefault: false })) });
const rows = { messages: 100e6, reactions: 30e6, message_edits: 2.9e6 } as Record<TableName, number>;
const fk = (table: string) => ({ referencesKind: 'p', table, references: 'messages', leaves: [] as string[] });

describe('how a leaf is checked against a partitioned table', () => {
  it('merges over the key indexes while few partitions are read again, probes otherwise', () => {
    // monthly: (4 + 1) / 2 * 100M < 15 * 30M
    expect(probeStrategy(fk('reactions'), { rows, layouts: new Map([['reactions', leaves(4)]]) })).toBe('merge');
    // weekly: (14 + 1) / 2 * 100M > 15 * 30M
    expect(probeStrategy(fk('reactions'), { rows, layouts: new Map([['reactions', leaves(14)]]) })).toBe('probes');
    // few referencing rows: probes
    expect(probeStrategy(fk('message_edits'), { rows, layouts: new Map([['message_edits', { ...leaves(4), table: 'message_edits' }]]) })).toBe('probes');
  });

  it('leaves the planner alone against a plain table', () => {
    expect(probeStrategy({ ...fk('reactions'), referencesKind: 'r' }, { rows, layouts: new Map() })).toBe('planner');
  });
});
