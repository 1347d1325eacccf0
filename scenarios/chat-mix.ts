// chat-mix: a day in a busy server: reads, sends, edits, deletes, reactions, read states, typing, presence.
import { defineScenario, queries, type VirtualUser } from '../src/scenario/api.ts';

/** The mix, in percent of operations (documented in docs/SCENARIOS.md). */
const WEIGHTS: Record<string, number> = {
  'open-channel': 30,
  'scroll-back': 10,
  send: 12,
  edit: 3,
  delete: 1,
  react: 8,
  'unread-counts': 6,
  'mark-read': 10,
  typing: 10,
  presence: 5,
  search: 2,
  permissions: 3,
};

interface State {
  channel: number;
  user: number;
  cursor: number;
  /** My recent messages (id, created at), newest last: the ones I may edit or delete. */
  mine: Array<[number, number]>;
}

type VU = VirtualUser<State>;

function pick(vu: VU): string {
  let r = vu.rng.next() * 100;
  for (const [name, w] of Object.entries(WEIGHTS)) {
    r -= w;
    if (r < 0) return name;
  }
  return 'open-channel';
}

/** Moves the user to a (hot) channel, as one of its writer members (a reader in answer checks). */
function enter(vu: VU): void {
  const pool = vu.mode === 'check' ? 'reader' : 'writer';
  for (let tries = 0; ; tries++) {
    vu.state.channel = vu.world.hotChannel(vu.rng, { serverOnly: true });
    const user = vu.world.memberOf(vu.rng, vu.state.channel, pool);
    if (user !== undefined) {
      vu.state.user = user;
      break;
    }
    // A small server with no member of the pool: another channel.
    if (tries === 1000) throw new Error(`chat-mix: no server channel with a ${pool} member in this data`);
  }
  vu.state.cursor = 0;
}

const newest = (vu: VU) => vu.world.idFloor(vu.mode === 'check' ? vu.world.endMs : vu.world.nowMs() + 1);

export default defineScenario<State>({
  name: 'chat-mix',
  description: `A day in a busy server: ${Object.entries(WEIGHTS).map(([k, v]) => `${k} ${v}%`).join(', ')}. Writes come from "writer" users only and edits and deletes touch only messages the run itself sent, so reads stay comparable across variants.`,
  question: 'Under a realistic read/write mix, which layout gives the best latency for what users do most, and what do writes cost it?',
  defaults: { executor: 'closed', concurrency: 8, durationMs: 30_000, warmupMs: 5_000 },
  state: () => ({ channel: 0, user: 0, cursor: 0, mine: [] }),
  next(vu) {
    let op = pick(vu);
    if ((op === 'edit' || op === 'delete') && vu.state.mine.length === 0) op = 'send';
    if (op === 'scroll-back' && vu.state.cursor === 0) op = 'open-channel';
    if (vu.state.channel === 0 || (op === 'open-channel' && vu.rng.chance(0.3))) enter(vu);
    return op;
  },
  operations: [
    {
      name: 'open-channel',
      kind: 'read',
      sql: queries.LATEST_PAGE,
      params: (vu) => [vu.state.channel, newest(vu)],
      after(vu, rows) {
        vu.state.cursor = rows.length ? Number(rows.value(rows.length - 1, 0)) : 0;
      },
    },
    {
      name: 'scroll-back',
      kind: 'read',
      sql: queries.PAGE_BEFORE,
      params: (vu) => [vu.state.channel, vu.state.cursor],
      after(vu, rows) {
        vu.state.cursor = rows.length === 50 ? Number(rows.value(rows.length - 1, 0)) : 0;
      },
    },
    {
      name: 'send',
      kind: 'write',
      sql: queries.SEND,
      params: (vu) => [vu.state.channel, vu.state.user, vu.world.text(vu.rng), new Date(vu.world.nowMs())],
      after(vu, rows) {
        if (!rows.length) return;
        vu.state.mine.push([Number(rows.value(0, 0)), Date.parse(String(rows.value(0, 1)))]);
        if (vu.state.mine.length > 20) vu.state.mine.shift();
      },
    },
    {
      name: 'edit',
      kind: 'write',
      sql: `UPDATE messages SET content = $3, edited_at = $4
             WHERE id = $1 AND created_at = $2 AND deleted_at IS NULL`,
      params(vu) {
        const [id, created] = vu.state.mine[vu.rng.int(vu.state.mine.length)];
        return [id, new Date(created), vu.world.text(vu.rng), new Date(Math.max(created, vu.world.nowMs()))];
      },
    },
    {
      name: 'delete',
      kind: 'write',
      sql: `UPDATE messages SET deleted_at = $3 WHERE id = $1 AND created_at = $2 AND deleted_at IS NULL`,
      params(vu) {
        const [id, created] = vu.state.mine.pop()!;
        return [id, new Date(created), new Date(Math.max(created, vu.world.nowMs()))];
      },
    },
    {
      name: 'react',
      kind: 'write',
      sql: `INSERT INTO reactions (message_id, message_created_at, user_id, emoji, created_at)
            VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
      params(vu) {
        const m = vu.world.message(vu.rng);
        const emoji = ['👍', '😂', '❤️', '🔥', '👀', '🎉'][vu.rng.int(6)];
        return [m.id, new Date(m.createdMs), vu.state.user, emoji, new Date(vu.world.nowMs())];
      },
    },
    {
      name: 'unread-counts',
      kind: 'read',
      sql: queries.UNREAD_COUNTS,
      params: (vu) => [vu.state.user, newest(vu)],
    },
    {
      name: 'mark-read',
      kind: 'write',
      sql: `INSERT INTO read_states (user_id, channel_id, last_read_message_id, mention_count, created_at, updated_at)
            VALUES ($1, $2, $3, 0, $4, $4)
            ON CONFLICT (user_id, channel_id) DO UPDATE
              SET last_read_message_id = greatest(read_states.last_read_message_id, EXCLUDED.last_read_message_id), mention_count = 0`,
      params: (vu) => [vu.state.user, vu.state.channel, newest(vu), new Date(vu.world.nowMs())],
    },
    {
      name: 'typing',
      kind: 'write',
      sql: `INSERT INTO typing_indicators (channel_id, user_id, expires_at, created_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (channel_id, user_id) DO UPDATE SET expires_at = EXCLUDED.expires_at`,
      params: (vu) => [vu.state.channel, vu.state.user, new Date(vu.world.nowMs() + 10_000), new Date(vu.world.nowMs())],
    },
    {
      name: 'presence',
      kind: 'write',
      sql: `INSERT INTO user_presence (user_id, status, last_seen_at, expires_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (user_id) DO UPDATE SET status = EXCLUDED.status, last_seen_at = EXCLUDED.last_seen_at, expires_at = EXCLUDED.expires_at`,
      params: (vu) => [vu.state.user, ['online', 'idle', 'dnd'][vu.rng.int(3)], new Date(vu.world.nowMs()), new Date(vu.world.nowMs() + 300_000)],
    },
    {
      name: 'search',
      kind: 'read',
      sql: queries.SEARCH,
      params(vu) {
        const end = vu.world.endMs;
        return [vu.world.serverOf(vu.state.channel), new Date(end - 7 * 86_400_000), new Date(end), vu.world.searchWord(vu.rng)];
      },
      note: (v) => (v.fullTextSearch ? undefined : 'no full-text index on this variant: searches scan the window'),
    },
    {
      name: 'permissions',
      kind: 'read',
      sql: queries.EFFECTIVE_PERMISSIONS,
      params: (vu) => [vu.state.channel, vu.state.user],
    },
  ],
});
