import { describe, expect, it } from 'vitest';
import { SCHEMAS_DIR } from '../config/paths.ts';
import type { DataPlan } from '../generate/plan.ts';
import { loadVariants } from '../schema/variants.ts';
import { estimateVariant } from './estimate.ts';

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
