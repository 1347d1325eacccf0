// The data model of a seed: from (seed, counts, time range) to everything a row generator needs in
// O(1) per row: server sizes and member permutations, the channel layout, channel activity (an
// alias table over a Zipf law), the message-time curve, friendships and DMs, and the text pools.
// Scenarios build the same model to draw parameters by the same laws as the data.
import { AliasTable, Permutation, RowRng, ZipfSampler, fmix32, hash2, streamKey, unit, zipfRank } from './random.ts';
import { buildPools, PackedText, type PoolEntry, type Pools } from './pools.ts';

/** Snowflake epoch (must match snowflake_at() in schemas/fragments/01_functions.up.sql). */
export const SNOWFLAKE_EPOCH_MS = Date.UTC(2020, 0, 1);
export const SNOWFLAKE_SEQ_BITS = 12;
const SEQ = 2 ** SNOWFLAKE_SEQ_BITS;
/** The last instant a 53-bit snowflake can encode. */
export const SNOWFLAKE_MAX_MS = SNOWFLAKE_EPOCH_MS + Math.floor(2 ** 53 / SEQ) - 1;

export interface ModelParams {
  seed: number;
  messages: number;
  users: number;
  servers: number;
  startMs: number;
  days: number;
}

/** Distribution parameters, recorded with every seed (documented in docs/DATA.md). */
export const DISTRIBUTION = {
  messagesPerUser: 200,
  usersPerServer: 40,
  serverSizeShare: 0.5, // the biggest server holds half the users; the s-th about 1/s of that
  serverSizeExponent: 0.95,
  channelPositionExponent: 1.1, // #general is busiest, later channels quieter
  serverActivityExponent: 0.9, // activity grows a little slower than membership
  dmShare: 0.12,
  groupDmShare: 0.05,
  friendsPerUser: 3,
  conversationsInFlight: 64,
  messagesPerConversation: 8,
  participantExponent: 1.1,
  replyRate: 0.11,
  threadConversationRate: 0.03,
  editRate: 0.025,
  deleteRate: 0.01,
  attachmentRate: 0.04,
  mentionRate: 0.08,
  everyoneMentionRate: 0.003,
  linkRate: 0.05,
  codeBlockRate: 0.01,
  multilineRate: 0.03,
  escapeRate: 0.002,
  reactionMessageRate: 0.14, // messages with any reaction; mean reactions per message ~0.3
  contentWordsMedian: 7,
  contentWordsSigma: 0.8,
  longMessageRate: 0.01,
  readStatesChannelsPerMembership: 5,
} as const;

export type ChannelType = 'text' | 'voice' | 'category' | 'dm' | 'group_dm';
export const CHANNEL_TYPES: ChannelType[] = ['text', 'voice', 'category', 'dm', 'group_dm'];
const T_TEXT = 0;
const T_VOICE = 1;
const T_CATEGORY = 2;
const T_DM = 3;
const T_GROUP = 4;

export interface Model {
  params: ModelParams;
  endMs: number;
  pools: Pools;
  /** Members per server. */
  serverSize: Int32Array;
  /** Prefix sums of serverSize: memberships of servers before s. */
  memberOffset: Float64Array;
  memberPerm: Permutation[];
  /** Who speaks in a server: member ranks by Zipf, one sampler per server. */
  speakerRank: ZipfSampler[];
  /** Who reacts: flatter than who speaks. */
  reactorRank: ZipfSampler[];
  /**
   * Message bodies, built once per seed from phrases of pool tokens with log-normal lengths (some
   * multi-line): a row copies one body (or several, for long messages) instead of picking words.
   */
  bodies: PackedText;
  /** Channel layout: the first channel index of each server, and counts per type. */
  serverFirstChannel: Int32Array;
  serverCategories: Uint8Array;
  serverTexts: Uint8Array;
  serverVoices: Uint8Array;
  /** Per channel (index = id - 1): its server (-1 for DMs), type code and position. */
  channelServer: Int32Array;
  channelType: Uint8Array;
  channelPosition: Int32Array;
  serverChannelCount: number;
  dmCount: number;
  groupDmCount: number;
  channelCount: number;
  channelActivity: AliasTable;
  /** Channel weights (relative message share), for scenarios' hot-channel draws. */
  channelWeight: Float64Array;
  /** Roles per server (the first is @everyone) and the first role id. */
  serverRoleCount: Uint8Array;
  serverFirstRole: Int32Array;
  roleCount: number;
  friendsPerUser: number;
  friendSpan: number;
  /** Message time curve: cumulative activity per minute from startMs. */
  minuteCdf: Float64Array;
  keys: Record<string, number>;
}

function serverSizeOf(s: number, users: number): number {
  const raw = Math.round((users * DISTRIBUTION.serverSizeShare) / Math.pow(s + 1, DISTRIBUTION.serverSizeExponent));
  return Math.min(users, Math.max(Math.min(3, users), raw));
}

/** Roles of a server: @everyone plus more as servers grow. */
function rolesFor(size: number): number {
  return Math.min(12, 2 + Math.floor(Math.log2(size + 1) / 2));
}

/** The model of a data set, with its pools built (faker is loaded on the way). */
/** The model parameters of a plan or a seed record (which carry more): the one place they are picked. */
export function modelParamsOf(p: ModelParams): ModelParams {
  return { seed: p.seed, messages: p.messages, users: p.users, servers: p.servers, startMs: p.startMs, days: p.days };
}

export async function loadModel(params: ModelParams): Promise<Model> {
  return buildModel(params, await buildPools(params.seed));
}

function buildModel(params: ModelParams, pools: Pools): Model {
  const { seed, users, servers, startMs, days } = params;
  const keys: Record<string, number> = {};
  for (const k of ['perm', 'layout', 'conv', 'chan', 'chan2', 'author', 'time', 'msg', 'react', 'attach', 'edit', 'user', 'server', 'member', 'role', 'friend', 'gdm', 'read', 'presence', 'overwrite', 'burst']) {
    keys[k] = streamKey(seed, k);
  }
  const serverSize = new Int32Array(servers);
  const memberOffset = new Float64Array(servers + 1);
  const memberPerm: Permutation[] = [];
  const speakerRank: ZipfSampler[] = [];
  const reactorRank: ZipfSampler[] = [];
  const serverCategories = new Uint8Array(servers);
  const serverTexts = new Uint8Array(servers);
  const serverVoices = new Uint8Array(servers);
  const serverFirstChannel = new Int32Array(servers + 1);
  const serverRoleCount = new Uint8Array(servers);
  const serverFirstRole = new Int32Array(servers + 1);
  let channels = 0;
  let roles = 0;
  for (let s = 0; s < servers; s++) {
    const size = serverSizeOf(s, users);
    serverSize[s] = size;
    memberOffset[s + 1] = memberOffset[s] + size;
    memberPerm.push(new Permutation(users, hash2(keys.perm, s)));
    speakerRank.push(new ZipfSampler(size, DISTRIBUTION.participantExponent));
    reactorRank.push(new ZipfSampler(size, 0.8));
    const h = hash2(keys.layout, s);
    serverCategories[s] = 1 + Number(size > 50) + Number(size > 1000);
    const extra = zipfRank(unit(h), 6, 1.5); // a few servers have many more channels
    serverTexts[s] = Math.min(50, 2 + Math.floor(1.5 * Math.log2(size)) + extra);
    serverVoices[s] = size > 20 ? 1 + Number(size > 500) : 0;
    serverFirstChannel[s] = channels;
    channels += serverCategories[s] + serverTexts[s] + serverVoices[s];
    serverRoleCount[s] = rolesFor(size);
    serverFirstRole[s] = roles;
    roles += serverRoleCount[s];
  }
  serverFirstChannel[servers] = channels;
  serverFirstRole[servers] = roles;
  const serverChannelCount = channels;
  const friendSpan = Math.max(0, Math.floor((users - 1) / 2));
  const friendsPerUser = Math.min(DISTRIBUTION.friendsPerUser, friendSpan);
  const dmCount = Math.ceil((users * friendsPerUser) / 2);
  const groupDmCount = users >= 6 ? Math.max(1, Math.floor(users / 25)) : 0;
  const channelCount = serverChannelCount + dmCount + groupDmCount;

  const channelServer = new Int32Array(channelCount).fill(-1);
  const channelType = new Uint8Array(channelCount);
  const channelPosition = new Int32Array(channelCount);
  const channelWeight = new Float64Array(channelCount);
  let serverTotal = 0;
  for (let s = 0; s < servers; s++) {
    let c = serverFirstChannel[s];
    const activity = Math.pow(serverSize[s], DISTRIBUTION.serverActivityExponent);
    for (let k = 0; k < serverCategories[s]; k++, c++) {
      channelServer[c] = s;
      channelType[c] = T_CATEGORY;
      channelPosition[c] = k;
    }
    for (let k = 0; k < serverTexts[s]; k++, c++) {
      channelServer[c] = s;
      channelType[c] = T_TEXT;
      channelPosition[c] = k;
      const w = activity / Math.pow(k + 1, DISTRIBUTION.channelPositionExponent);
      channelWeight[c] = w;
      serverTotal += w;
    }
    for (let k = 0; k < serverVoices[s]; k++, c++) {
      channelServer[c] = s;
      channelType[c] = T_VOICE;
      channelPosition[c] = k;
    }
  }
  // DMs and group DMs take fixed shares of all messages, spread evenly (Zipf within the share would
  // need ranks; friendship order is already random).
  const serverShare = 1 - (dmCount ? DISTRIBUTION.dmShare : 0) - (groupDmCount ? DISTRIBUTION.groupDmShare : 0);
  const total = serverTotal / serverShare;
  for (let d = 0; d < dmCount; d++) {
    const c = serverChannelCount + d;
    channelType[c] = T_DM;
    channelWeight[c] = (total * DISTRIBUTION.dmShare) / dmCount;
  }
  for (let g = 0; g < groupDmCount; g++) {
    const c = serverChannelCount + dmCount + g;
    channelType[c] = T_GROUP;
    channelWeight[c] = (total * DISTRIBUTION.groupDmShare) / groupDmCount;
  }
  return {
    params,
    endMs: startMs + days * 86_400_000,
    pools,
    serverSize,
    memberOffset,
    memberPerm,
    speakerRank,
    reactorRank,
    bodies: buildBodies(pools, keys.msg ^ 0x5eed),
    serverFirstChannel,
    serverCategories,
    serverTexts,
    serverVoices,
    channelServer,
    channelType,
    channelPosition,
    serverChannelCount,
    dmCount,
    groupDmCount,
    channelCount,
    channelActivity: new AliasTable(channelWeight),
    channelWeight,
    serverRoleCount,
    serverFirstRole,
    roleCount: roles,
    friendsPerUser,
    friendSpan,
    minuteCdf: buildMinuteCdf(startMs, days, keys.burst),
    keys,
  };
}

const PHRASES = 4096;
/** 8,192 bodies (about 0.6 MB) stay in the CPU's cache; more would cost a cache miss per message. */
const BODIES = 8192;

/** Picks a content token: mostly English words, some accented, CJK, Cyrillic, emoji and jargon. */
function pickToken(pools: Pools, rng: RowRng): PoolEntry {
  const p = rng.next();
  const pool = p < 0.8 ? pools.words : p < 0.86 ? pools.accented : p < 0.9 ? pools.cjk : p < 0.92 ? pools.cyrillic : p < 0.97 ? pools.emoji : pools.tech;
  return pool[rng.int(pool.length)];
}

/** Phrases of 1-5 tokens: per-row text assembly copies a few phrases instead of picking every word. */
function buildPhrases(pools: Pools, key: number): PackedText {
  const rng = new RowRng();
  const texts: string[] = [];
  const counts: number[] = [];
  for (let i = 0; i < PHRASES; i++) {
    rng.reset(hash2(key, i));
    const words = 1 + rng.int(5);
    const parts: string[] = [];
    for (let k = 0; k < words; k++) parts.push(pickToken(pools, rng).text);
    texts.push(parts.join(' '));
    counts.push(words);
  }
  return new PackedText(texts, counts);
}

/** Bodies whose word counts follow the content-length law; a few span two lines. */
function buildBodies(pools: Pools, key: number): PackedText {
  const phrases = buildPhrases(pools, key);
  const quantiles = logNormalQuantiles(DISTRIBUTION.contentWordsMedian, DISTRIBUTION.contentWordsSigma, 1024);
  const rng = new RowRng();
  const texts: string[] = [];
  for (let i = 0; i < BODIES; i++) {
    rng.reset(hash2(key ^ 0xb0d1e5, i));
    const words = quantiles[rng.int(1024)];
    const multiline = rng.chance(DISTRIBUTION.multilineRate);
    let text = '';
    for (let k = 0; k < words; ) {
      const p = rng.int(phrases.count);
      text += text === '' ? phrases.texts[p] : multiline && k >= words >> 1 && k - phrases.words[p] < words >> 1 ? `\n${phrases.texts[p]}` : ` ${phrases.texts[p]}`;
      k += phrases.words[p];
    }
    texts.push(text);
  }
  return new PackedText(texts);
}

/** Quantiles of a log-normal (median, sigma), rounded to whole words, at least 1. */
function logNormalQuantiles(median: number, sigma: number, n: number): Uint16Array {
  const q = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const p = (i + 0.5) / n;
    // inverse normal CDF (Acklam's rational approximation, ~1e-9 relative error)
    q[i] = Math.max(1, Math.min(1000, Math.round(median * Math.exp(sigma * inverseNormal(p)))));
  }
  return q;
}

function inverseNormal(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lo) return -inverseNormal(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/**
 * Activity per minute: a daily rhythm (quiet at 06:00 UTC, busiest around 20:00), weekends 20%
 * busier, and a few bursts a day (a launch, a match, an outage) at two to four times the rate.
 */
function buildMinuteCdf(startMs: number, days: number, burstKey: number): Float64Array {
  const minutes = days * 1440;
  const cdf = new Float64Array(minutes + 1);
  const bursts: Array<[number, number, number]> = [];
  for (let d = 0; d < days; d++) {
    for (let b = 0; b < 3; b++) {
      const h = hash2(burstKey, d * 3 + b);
      const at = d * 1440 + (h % 1440);
      const len = 30 + (fmix32(h) % 90);
      const gain = 2 + unit(fmix32(h ^ 0x9e37)) * 2;
      bursts.push([at, at + len, gain]);
    }
  }
  let bi = 0;
  const active: Array<[number, number, number]> = [];
  for (let m = 0; m < minutes; m++) {
    const t = new Date(startMs + m * 60_000);
    const hour = t.getUTCHours() + t.getUTCMinutes() / 60;
    const dow = t.getUTCDay();
    let rate = 0.25 + 0.75 * (0.5 + 0.5 * Math.cos(((hour - 20) / 24) * 2 * Math.PI));
    if (dow === 0 || dow === 6) rate *= 1.2;
    while (bi < bursts.length && bursts[bi][0] <= m) active.push(bursts[bi++]);
    for (let k = active.length - 1; k >= 0; k--) {
      if (active[k][1] <= m) active.splice(k, 1);
      else rate *= active[k][2];
    }
    cdf[m + 1] = cdf[m] + rate;
  }
  return cdf;
}

// ---------------------------------------------------------------------------------------------
// Per-entity functions (all O(1) or O(log n), all pure)

/** User id (1-based) of the member at rank j of server s. */
export function memberAt(m: Model, s: number, j: number): number {
  return m.memberPerm[s].at(j) + 1;
}

/** The server and member rank of membership row r (binary search over prefix sums). */
export function membershipAt(m: Model, r: number): [number, number] {
  const s = lastAtMost(m.memberOffset, r, m.params.servers - 1);
  return [s, r - m.memberOffset[s]];
}

/** The last index k in [0, hi] of an ascending array with sorted[k] <= x (0 when none is): prefix sums to their owner. */
export function lastAtMost(sorted: ArrayLike<number>, x: number, hi: number): number {
  let lo = 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (sorted[mid] <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Member k (0 = the lower id, 1 = the higher) of friendship f: no array, it is on the generator's hot path. */
function friendMember(m: Model, f: number, k: number): number {
  const u = Math.floor(f / m.friendsPerUser);
  const j = f % m.friendsPerUser;
  const base = hash2(m.keys.friend, u) % Math.max(1, m.friendSpan - m.friendsPerUser + 1);
  const v = (u + 1 + base + j) % m.params.users;
  return (k === 0) === u < v ? u + 1 : v + 1;
}

/** The two users (ids) of friendship f, lower id first. */
export function friendPair(m: Model, f: number): [number, number] {
  return [friendMember(m, f, 0), friendMember(m, f, 1)];
}

function groupDmSize(m: Model, g: number): number {
  return Math.min(m.params.users, 3 + (hash2(m.keys.gdm, g) % 4));
}

function groupDmMember(m: Model, g: number, k: number): number {
  const first = fmix32(hash2(m.keys.gdm, g)) % m.params.users;
  return ((first + k) % m.params.users) + 1;
}

/** Members (user ids) of group DM g. */
export function groupDmMembers(m: Model, g: number): number[] {
  return Array.from({ length: groupDmSize(m, g) }, (_, k) => groupDmMember(m, g, k));
}

/** How many people a DM (2) or group DM has; 0 for server channels. */
export function dmMemberCount(m: Model, c: number): number {
  const t = m.channelType[c];
  return t === T_DM ? 2 : t === T_GROUP ? groupDmSize(m, c - m.serverChannelCount - m.dmCount) : 0;
}

/** Participant k of a DM or group DM channel (k < dmMemberCount). */
export function dmMember(m: Model, c: number, k: number): number {
  return m.channelType[c] === T_DM ? friendMember(m, 2 * (c - m.serverChannelCount), k) : groupDmMember(m, c - m.serverChannelCount - m.dmCount, k);
}

/** Participants of a DM or group DM channel; undefined for server channels. */
export function dmMembers(m: Model, c: number): number[] | undefined {
  const n = dmMemberCount(m, c);
  return n ? Array.from({ length: n }, (_, k) => dmMember(m, c, k)) : undefined;
}

/** The epoch-ms creation time of message i (monotone in i): the inverse of the activity curve. */
export function messageTimeMs(m: Model, i: number, hint: { minute: number }): number {
  const cdf = m.minuteCdf;
  const total = cdf[cdf.length - 1];
  const x = ((i + unit(hash2(m.keys.time, i))) / m.params.messages) * total;
  let k = hint.minute;
  if (!(k >= 0 && k < cdf.length - 1 && cdf[k] <= x && x < cdf[k + 1])) {
    if (k >= 0 && k < cdf.length - 1 && cdf[k] <= x) {
      while (k < cdf.length - 2 && cdf[k + 1] <= x) k++; // rows come in order: usually a step or two
    } else {
      k = lastAtMost(cdf, x, cdf.length - 2);
    }
    hint.minute = k;
  }
  const frac = (x - cdf[k]) / (cdf[k + 1] - cdf[k]);
  return m.params.startMs + Math.floor((k + frac) * 60_000);
}

/** Message i's snowflake id: its millisecond since the snowflake epoch, and i's low 12 bits. */
export function messageId(timeMs: number, i: number): number {
  return (timeMs - SNOWFLAKE_EPOCH_MS) * SEQ + (i % SEQ);
}

export function snowflakeTimeMs(id: number): number {
  return Math.floor(id / SEQ) + SNOWFLAKE_EPOCH_MS;
}

/** Conversation of message i: consecutive messages are split among conversations in flight. */
export function conversationOf(m: Model, i: number): number {
  const inFlight = DISTRIBUTION.conversationsInFlight;
  const block = Math.floor(i / (inFlight * DISTRIBUTION.messagesPerConversation));
  return block * inFlight + (hash2(m.keys.conv, i) % inFlight);
}

/** The channel (0-based index) a conversation happens in. */
export function conversationChannel(m: Model, conv: number): number {
  return m.channelActivity.draw(unit(hash2(m.keys.chan, conv)), unit(hash2(m.keys.chan2, conv)));
}

/** Participant k (user id) of a conversation in channel c. */
export function participant(m: Model, conv: number, c: number, k: number): number {
  const n = dmMemberCount(m, c);
  if (n) return dmMember(m, c, (hash2(m.keys.author, conv) + k) % n);
  const s = m.channelServer[c];
  return memberAt(m, s, m.speakerRank[s].draw(unit(hash2(m.keys.author, conv * 8 + k))));
}

export function participantCount(m: Model, conv: number): number {
  return 2 + (fmix32(hash2(m.keys.author, conv) ^ 0x7f4a7c15) % 3);
}

/**
 * Walks message indexes in order and knows, for each, its conversation slot, the previous message
 * of its conversation and the conversation's first message (-1 / itself when none). Starting at
 * any index it replays from the start of that index's block, so the answers are the same as a
 * scan back from each message (a pure function of the index), at O(1) per message.
 */
export class ConversationCursor {
  private readonly m: Model;
  private readonly last = new Float64Array(DISTRIBUTION.conversationsInFlight);
  private readonly first = new Float64Array(DISTRIBUTION.conversationsInFlight);
  private block = -1;
  private next = -1;
  slot = 0;
  previous = -1;
  firstOfConversation = -1;
  constructor(m: Model) {
    this.m = m;
  }
  /** Moves to message i (call with increasing i). */
  at(i: number): void {
    const size = DISTRIBUTION.conversationsInFlight * DISTRIBUTION.messagesPerConversation;
    const block = Math.floor(i / size);
    if (block !== this.block || i < this.next) {
      this.block = block;
      this.last.fill(-1);
      this.first.fill(-1);
      this.next = block * size;
    }
    while (this.next < i) this.observe(this.next++);
    this.slot = hash2(this.m.keys.conv, i) % DISTRIBUTION.conversationsInFlight;
    this.previous = this.last[this.slot];
    this.firstOfConversation = this.first[this.slot] >= 0 ? this.first[this.slot] : i;
    this.observe(i);
    this.next = i + 1;
  }
  private observe(j: number): void {
    const slot = hash2(this.m.keys.conv, j) % DISTRIBUTION.conversationsInFlight;
    if (this.first[slot] < 0) this.first[slot] = j;
    this.last[slot] = j;
  }
}

export function isThreadConversation(m: Model, conv: number): boolean {
  return unit(hash2(m.keys.conv ^ 0x3d, conv)) < DISTRIBUTION.threadConversationRate;
}
