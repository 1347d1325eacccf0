// The World scenarios draw parameters from: the seeded data's model rebuilt from its plan, so hot
// channels, members and message ids follow the same laws as the rows, without scanning a table.
import {
  SNOWFLAKE_EPOCH_MS,
  conversationChannel,
  conversationOf,
  dmMembers,
  friendPair,
  memberAt,
  messageId,
  messageTimeMs,
  type Model,
} from '../generate/model.ts';
import { hash2, type RowRng } from '../generate/random.ts';
import type { World } from './api.ts';

/** Users whose id is a multiple of this are "writers"; all others are "readers". */
const WRITER_EVERY = 4;

export function buildWorld(model: Model, virtualStartMs: number, elapsedMs: () => number): World {
  const p = model.params;
  const textChannels: number[] = [];
  const serverWeights: number[] = new Array(p.servers).fill(0);
  for (let c = 0; c < model.channelCount; c++) {
    if (model.channelWeight[c] > 0) {
      textChannels.push(c);
      const s = model.channelServer[c];
      if (s >= 0) serverWeights[s] += model.channelWeight[c];
    }
  }
  const words = model.pools.slugs.filter((w) => w.length >= 4);
  let hottest = 0;
  for (let c = 0; c < model.serverChannelCount; c++) if (model.channelWeight[c] > model.channelWeight[hottest]) hottest = c;
  const inPool = (u: number, pool: 'reader' | 'writer') => (u % WRITER_EVERY === 0) === (pool === 'writer');
  const drawChannel = (rng: RowRng): number => model.channelActivity.draw(rng.next(), rng.next());
  const pickUser = (rng: RowRng, pool: 'reader' | 'writer'): number => {
    for (;;) {
      const u = 1 + rng.int(p.users);
      if (inPool(u, pool) || p.users < WRITER_EVERY * 2) return u;
    }
  };
  function memberOf(rng: RowRng, channelId: number): number;
  function memberOf(rng: RowRng, channelId: number, pool: 'reader' | 'writer'): number | undefined;
  function memberOf(rng: RowRng, channelId: number, pool?: 'reader' | 'writer'): number | undefined {
    const c = channelId - 1;
    const members = dmMembers(model, c);
    const s = model.channelServer[c];
    const size = members ? members.length : model.serverSize[s];
    const at = (rank: number) => (members ? members[rank] : memberAt(model, s, rank));
    const drawRank = () => (members ? rng.int(members.length) : model.speakerRank[s].draw(rng.next()));
    let rank = drawRank();
    for (let tries = 0; pool && !inPool(at(rank), pool) && tries < 16; tries++) rank = drawRank();
    if (!pool || inPool(at(rank), pool)) return at(rank);
    // The most active members of a channel can all be of the other pool (a few hot speakers hold
    // most draws). Handing one of them back made readers send and mark channels read, so answer
    // checks saw writes; walk on from the drawn rank to the next member of the pool instead.
    for (let k = 1; k < size; k++) {
      const u = at((rank + k) % size);
      if (inPool(u, pool)) return u;
    }
    return undefined;
  }
  return {
    startMs: p.startMs,
    endMs: model.endMs,
    messages: p.messages,
    users: p.users,
    servers: p.servers,
    hotChannel(rng, opts = {}) {
      for (let tries = 0; tries < 64; tries++) {
        const c = drawChannel(rng);
        if (!opts.serverOnly || model.channelServer[c] >= 0) return c + 1;
      }
      return textChannels.find((c) => model.channelServer[c] >= 0)! + 1;
    },
    serverOf(channelId) {
      const s = model.channelServer[channelId - 1];
      return s >= 0 ? s + 1 : null;
    },
    hottestChannel() {
      return hottest + 1;
    },
    memberOf,
    hotServer(rng) {
      for (;;) {
        const c = drawChannel(rng);
        if (model.channelServer[c] >= 0) return model.channelServer[c] + 1;
      }
    },
    message(rng) {
      const i = rng.int(p.messages);
      const createdMs = messageTimeMs(model, i, { minute: -1 });
      return { id: messageId(createdMs, i), channelId: conversationChannel(model, conversationOf(model, i)) + 1, createdMs };
    },
    user: pickUser,
    dmUser(rng, pool) {
      // Users own their "forward" friendships f = u * k + j; even f have a DM channel.
      for (;;) {
        const f = 2 * rng.int(Math.max(1, model.dmCount));
        const [a, b] = friendPair(model, f);
        const u = rng.chance(0.5) ? a : b;
        if (inPool(u, pool) || p.users < WRITER_EVERY * 2) return u;
      }
    },
    text(rng) {
      return model.bodies.texts[rng.int(model.bodies.count)].slice(0, 2000) || 'hello';
    },
    searchWord(rng) {
      return words[rng.int(words.length)] ?? 'hello';
    },
    idFloor(ms) {
      return (ms - SNOWFLAKE_EPOCH_MS) * 4096;
    },
    nowMs() {
      return virtualStartMs + elapsedMs();
    },
  };
}

/** A deterministic stream key for a virtual user of a run. */
export function vuKey(seed: number, scenario: string, vu: number, mode: 'load' | 'check'): number {
  let h = hash2(seed >>> 0, vu);
  for (let i = 0; i < scenario.length; i++) h = hash2(h, scenario.charCodeAt(i));
  return mode === 'check' ? hash2(h, 0xc4ec) : h;
}
