import { describe, expect, it } from 'vitest';
import { SCHEMAS_DIR } from '../config/paths.ts';
import type { DataPlan } from '../generate/plan.ts';
import { loadVariants } from '../schema/variants.ts';
import { estimateSeed, estimateVariant } from './estimate.ts';

describe('the size estimate of a design', () => {
  const rows = { messages: 1e6, reactions: 3e5, attachments: 5e4, message_edits: 3e4, users: 5e3, server_members: 2e4, read_states: 1e5, friendships: 1e4, channels: 1e3, member_roles: 1e3, dm_participants: 1e3 };
  const plan = { rows, exact: [] } as unknown as DataPlan;
  const cal = { rowBytes: { messages: 150 }, contentBytes: 60 };

  it('sizes every index each design creates on messages (the dry run times the builds from these)', () => {
    for (const v of loadVariants(SCHEMAS_DIR)) {
      const sql = v.migrations.map((m) => m.up).join('\n');
      const created = [...sql.matchAll(/CREATE (?:UNIQUE )?INDEX (\w+) ON messages\b/g)].map((x) => x[1]);
      const estimated = Object.keys(estimateVariant(v, plan, cal).tables.find((t) => t.table === 'messages')!.indexes);
      expect(created.length, v.name).toBeGreaterThan(2);
      expect(estimated, v.name).toEqual(expect.arrayContaining(created));
    }
  });
});

describe('the dry run\'s index builds against a measured seed', () => {
  // The plan of the 100M seed of btree-monthly measured on 2026-12-01 (reports/20261201-140051-seed).
  const rows100M = { users: 500000, servers: 12500, server_members: 3156756, roles: 58022, channels: 956873, friendships: 1500000, messages: 100000000, member_roles: 984527, channel_permission_overwrites: 56062, dm_participants: 1590000, read_states: 14217024, user_presence: 150000, message_edits: 2875000, reactions: 30000000, attachments: 5200000 };
  const plan = { messages: 1e8, users: 500000, startMs: 1767225600000, endMs: 1775001600000, rows: rows100M, exact: [] } as unknown as DataPlan;
  const cal = { rowBytes: { messages: 200 }, contentBytes: 60, generatorRowsPerSec: 1e5, serverRowsPerSec: {} };
  const machine = { cores: 2, memBytes: 24 * 1024 ** 3, sharedBuffersBytes: 6 * 1024 ** 3, maintenanceWorkMemBytes: 1024 ** 3 };

  it('costs the mentions GIN about as the primary key, as measured (109 s against 128 s at 100M), not as half of it', () => {
    const monthly = loadVariants(SCHEMAS_DIR).find((v) => v.name === 'btree-monthly')!;
    const { builds } = estimateSeed([monthly], plan, cal, machine, { jobs: 2, verify: 'sample' }).time;
    const work = (name: string) => builds.find((b) => b.name === name)!.workSeconds;
    expect(work('messages_mentions_idx') / work('messages_pkey')).toBeGreaterThan(0.7);
    expect(work('messages_mentions_idx') / work('messages_pkey')).toBeLessThan(1.4);
    // The thread index (partial, 3% of messages) measured 55 s: a heap scan, well under the key.
    expect(work('messages_thread_id_idx') / work('messages_pkey')).toBeLessThan(0.7);
  });
});
