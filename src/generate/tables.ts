// The row generators: for each table, its COPY column list, its number of units (rows, or the
// parent rows its rows hang off) and a writer of the rows of units [from, to). Every row is a
// pure function of (seed, table, unit index): chunks can be generated in any order, by any
// number of workers, and regenerated to resume, always giving the same bytes.
import type { RowWriter } from '../copy/writer.ts';
import { entry, REACTION_EMOJI } from './pools.ts';
import { RowRng, ZipfSampler, fmix32, hash2, unit } from './random.ts';
import {
  CHANNEL_TYPES,
  DISTRIBUTION,
  conversationChannel,
  ConversationCursor,
  dmMember,
  dmMemberCount,
  dmMembers,
  friendPair,
  groupDmMembers,
  isThreadConversation,
  lastAtMost,
  memberAt,
  membershipAt,
  messageId,
  messageTimeMs,
  participant,
  participantCount,
  type Model,
} from './model.ts';

export type TableName =
  | 'users'
  | 'servers'
  | 'server_members'
  | 'roles'
  | 'member_roles'
  | 'channels'
  | 'channel_permission_overwrites'
  | 'dm_participants'
  | 'friendships'
  | 'read_states'
  | 'user_presence'
  | 'messages'
  | 'message_edits'
  | 'reactions'
  | 'attachments';

export interface TableSpec {
  name: TableName;
  columns: readonly string[];
  /** What one unit is (a row, or a parent whose rows these are) and how many there are. */
  units(m: Model): number;
  unitsPerChunk: number;
  /** True when units == rows (the row count is known before generating). */
  exactRows: boolean;
  /**
   * Columns whose values never decrease from one row to the next as the rows are written (nulls
   * last): the order COPY loads them in, so a B-tree led by one is built from presorted keys.
   */
  ascending: readonly string[];
}

/** Tables loaded from the same chunk as messages (their rows hang off message indexes). */
export const MESSAGE_FAMILY: TableName[] = ['messages', 'message_edits', 'reactions', 'attachments'];

const DAY = 86_400_000;
const PERM = {
  VIEW_CHANNEL: 1 << 10,
  SEND_MESSAGES: 1 << 11,
  READ_HISTORY: 1 << 16,
  ADD_REACTIONS: 1 << 6,
  ATTACH_FILES: 1 << 15,
  MENTION_EVERYONE: 1 << 17,
  MANAGE_MESSAGES: 1 << 13,
  KICK_MEMBERS: 1 << 1,
  BAN_MEMBERS: 1 << 2,
  ADMINISTRATOR: 1 << 3,
  MANAGE_ROLES: 2 ** 28,
};
const EVERYONE_PERMS = PERM.VIEW_CHANNEL | PERM.SEND_MESSAGES | PERM.READ_HISTORY | PERM.ADD_REACTIONS | PERM.ATTACH_FILES;
const ROLE_NAMES = ['@everyone', 'Admin', 'Moderator', 'Helper', 'Supporter', 'Veteran', 'Artist', 'Developer', 'Event Team', 'Muted', 'Bots', 'Booster'];
const USER_SETTINGS = [
  '{"theme": "dark", "locale": "en-US", "notifications": {"dm": true, "mentions": true}}',
  '{"theme": "light", "locale": "fr", "notifications": {"dm": true, "mentions": false}}',
  '{"theme": "dark", "locale": "ja", "compact": true}',
  '{"theme": "system", "locale": "de", "notifications": {"dm": false}}',
  '{"theme": "dark", "locale": "es-ES", "developer_mode": true}',
  '{}',
];
const CONTENT_TYPES: Array<[string, string, boolean]> = [
  ['image/png', 'png', true],
  ['image/jpeg', 'jpg', true],
  ['image/gif', 'gif', true],
  ['image/webp', 'webp', true],
  ['video/mp4', 'mp4', true],
  ['application/pdf', 'pdf', false],
  ['text/plain', 'txt', false],
  ['application/zip', 'zip', false],
];

export const TABLES: Record<TableName, TableSpec> = {
  users: { name: 'users', columns: ['id', 'username', 'display_name', 'email', 'password_hash', 'status', 'settings', 'bot', 'created_at', 'updated_at'], units: (m) => m.params.users, unitsPerChunk: 100_000, exactRows: true, ascending: ['id'] },
  servers: { name: 'servers', columns: ['id', 'owner_id', 'name', 'description', 'icon_url', 'features', 'created_at', 'updated_at'], units: (m) => m.params.servers, unitsPerChunk: 100_000, exactRows: true, ascending: ['id'] },
  server_members: { name: 'server_members', columns: ['server_id', 'user_id', 'nickname', 'joined_at', 'created_at', 'updated_at'], units: (m) => m.memberOffset[m.params.servers], unitsPerChunk: 250_000, exactRows: true, ascending: ['server_id'] },
  roles: { name: 'roles', columns: ['id', 'server_id', 'name', 'permissions', 'position', 'color', 'hoist', 'mentionable', 'is_default', 'created_at', 'updated_at'], units: (m) => m.roleCount, unitsPerChunk: 250_000, exactRows: true, ascending: ['id', 'server_id'] },
  member_roles: { name: 'member_roles', columns: ['server_id', 'user_id', 'role_id', 'created_at'], units: (m) => m.memberOffset[m.params.servers], unitsPerChunk: 250_000, exactRows: false, ascending: ['server_id'] },
  channels: { name: 'channels', columns: ['id', 'server_id', 'parent_id', 'type', 'name', 'topic', 'position', 'nsfw', 'created_at', 'updated_at'], units: (m) => m.channelCount, unitsPerChunk: 250_000, exactRows: true, ascending: ['id', 'server_id'] },
  channel_permission_overwrites: { name: 'channel_permission_overwrites', columns: ['id', 'channel_id', 'role_id', 'user_id', 'allow', 'deny', 'created_at', 'updated_at'], units: (m) => m.serverChannelCount, unitsPerChunk: 250_000, exactRows: false, ascending: ['id', 'channel_id'] },
  dm_participants: { name: 'dm_participants', columns: ['channel_id', 'user_id', 'created_at'], units: (m) => m.dmCount + m.groupDmCount, unitsPerChunk: 250_000, exactRows: false, ascending: ['channel_id'] },
  friendships: { name: 'friendships', columns: ['user_low', 'user_high', 'requested_by', 'status', 'created_at', 'updated_at'], units: (m) => m.params.users * m.friendsPerUser, unitsPerChunk: 250_000, exactRows: true, ascending: [] },
  read_states: { name: 'read_states', columns: ['user_id', 'channel_id', 'last_read_message_id', 'mention_count', 'created_at', 'updated_at'], units: (m) => m.memberOffset[m.params.servers] + m.dmCount + m.groupDmCount, unitsPerChunk: 100_000, exactRows: false, ascending: [] },
  user_presence: { name: 'user_presence', columns: ['user_id', 'status', 'activity', 'last_seen_at', 'expires_at', 'created_at', 'updated_at'], units: (m) => m.params.users, unitsPerChunk: 250_000, exactRows: false, ascending: ['user_id'] },
  messages: { name: 'messages', columns: ['id', 'channel_id', 'author_id', 'content', 'reply_to_id', 'thread_id', 'mention_user_ids', 'mention_everyone', 'attachment_count', 'metadata', 'created_at', 'edited_at', 'deleted_at'], units: (m) => m.params.messages, unitsPerChunk: 25_000, exactRows: true, ascending: ['id', 'created_at'] },
  message_edits: { name: 'message_edits', columns: ['message_id', 'message_created_at', 'revision', 'content', 'created_at'], units: (m) => m.params.messages, unitsPerChunk: 25_000, exactRows: false, ascending: ['message_id', 'message_created_at'] },
  reactions: { name: 'reactions', columns: ['message_id', 'message_created_at', 'user_id', 'emoji', 'created_at'], units: (m) => m.params.messages, unitsPerChunk: 25_000, exactRows: false, ascending: ['message_id', 'message_created_at'] },
  attachments: { name: 'attachments', columns: ['id', 'message_id', 'message_created_at', 'filename', 'url', 'content_type', 'size_bytes', 'width', 'height', 'created_at'], units: (m) => m.params.messages, unitsPerChunk: 25_000, exactRows: false, ascending: ['message_id', 'message_created_at', 'created_at'] },
};

/** Tables in load order (parents first); the message family last, loaded chunk by chunk together. */
export const LOAD_ORDER: TableName[] = [
  'users', 'servers', 'server_members', 'roles', 'member_roles', 'channels', 'channel_permission_overwrites',
  'dm_participants', 'friendships', 'read_states', 'user_presence', 'messages', 'message_edits', 'reactions', 'attachments',
];

// ---------------------------------------------------------------------------------------------
// Small tables

function serverCreatedMs(m: Model, s: number): number {
  return m.params.startMs - (200 + (hash2(m.keys.server, s) % 800)) * DAY;
}

function userCreatedMs(m: Model, u: number): number {
  return m.params.startMs - (1 + (hash2(m.keys.user, u) % 1000)) * DAY - (fmix32(u) % DAY);
}

function channelCreatedMs(m: Model, c: number): number {
  const s = m.channelServer[c];
  const base = s >= 0 ? serverCreatedMs(m, s) : m.params.startMs - 100 * DAY;
  return base + (c % 97) * 3_600_000;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function randomB64(rng: RowRng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += B64[rng.int(64)];
  return s;
}

function writeUsers(m: Model, w: RowWriter, from: number, to: number): number {
  const rng = new RowRng();
  const { firstNames, lastNames, domains } = m.pools;
  for (let u = from; u < to; u++) {
    rng.reset(hash2(m.keys.user, u));
    const first = firstNames[rng.int(firstNames.length)];
    const last = lastNames[rng.int(lastNames.length)];
    const suffix = u.toString(36);
    // Mixed case on purpose: uniqueness is case-insensitive (lower(username) index).
    const username = `${first}.${last}`.slice(0, 31 - suffix.length) + `_${suffix}`;
    const created = userCreatedMs(m, u);
    w.beginRow(10);
    w.int(u + 1, 8);
    w.str(username);
    w.str(`${first} ${last}`.slice(0, 32));
    w.str(`${username.toLowerCase()}@${domains[rng.int(domains.length)]}`);
    w.str(`$argon2id$v=19$m=65536,t=3,p=4$${randomB64(rng, 22)}$${randomB64(rng, 43)}`);
    const p = rng.next();
    w.str(p < 0.45 ? 'online' : p < 0.65 ? 'idle' : p < 0.75 ? 'dnd' : 'invisible');
    w.jsonb(USER_SETTINGS[rng.int(USER_SETTINGS.length)]);
    w.bool(rng.chance(0.01));
    w.timestamptz(created);
    w.timestamptz(created);
    w.endRow();
  }
  return to - from;
}

function writeServers(m: Model, w: RowWriter, from: number, to: number): number {
  const rng = new RowRng();
  for (let s = from; s < to; s++) {
    rng.reset(hash2(m.keys.server, s));
    const size = m.serverSize[s];
    const created = serverCreatedMs(m, s);
    w.beginRow(8);
    w.int(s + 1, 8);
    w.int(memberAt(m, s, 0), 8);
    w.str(m.pools.serverNames[rng.int(m.pools.serverNames.length)]);
    if (rng.chance(0.5)) w.str(m.pools.topics[rng.int(m.pools.topics.length)]);
    else w.null();
    w.str(`https://cdn.chatbench.example/icons/${s + 1}.png`);
    w.jsonb(size > 1000 ? '["COMMUNITY", "DISCOVERABLE", "VANITY_URL"]' : size > 100 ? '["COMMUNITY"]' : '[]');
    w.timestamptz(created);
    w.timestamptz(created);
    w.endRow();
  }
  return to - from;
}

function memberJoinedMs(m: Model, s: number, j: number): number {
  const created = serverCreatedMs(m, s);
  return created + Math.floor(unit(hash2(m.keys.member, m.memberOffset[s] + j)) * (m.params.startMs - created - DAY));
}

function writeServerMembers(m: Model, w: RowWriter, from: number, to: number): number {
  let [s, j] = membershipAt(m, from);
  for (let r = from; r < to; r++, j++) {
    while (j >= m.serverSize[s]) {
      s++;
      j = 0;
    }
    const h = hash2(m.keys.member, r);
    const joined = memberJoinedMs(m, s, j);
    w.beginRow(6);
    w.int(s + 1, 8);
    w.int(memberAt(m, s, j), 8);
    if (h % 100 < 8) w.str(`${m.pools.firstNames[h % m.pools.firstNames.length]}${h % 7 === 0 ? ' ✨' : ''}`);
    else w.null();
    w.timestamptz(joined);
    w.timestamptz(joined);
    w.timestamptz(joined);
    w.endRow();
  }
  return to - from;
}

function serverOfRole(m: Model, r: number): number {
  return lastAtMost(m.serverFirstRole, r, m.params.servers - 1);
}

function writeRoles(m: Model, w: RowWriter, from: number, to: number): number {
  for (let r = from; r < to; r++) {
    const s = serverOfRole(m, r);
    const k = r - m.serverFirstRole[s];
    const count = m.serverRoleCount[s];
    const perms =
      k === 0 ? EVERYONE_PERMS
      : k === 1 ? PERM.ADMINISTRATOR + EVERYONE_PERMS
      : k === 2 ? EVERYONE_PERMS | PERM.MANAGE_MESSAGES | PERM.KICK_MEMBERS | PERM.BAN_MEMBERS | PERM.MENTION_EVERYONE
      : ROLE_NAMES[k] === 'Muted' ? PERM.VIEW_CHANNEL | PERM.READ_HISTORY
      : EVERYONE_PERMS;
    const created = serverCreatedMs(m, s) + k * 60_000;
    w.beginRow(11);
    w.int(r + 1, 8);
    w.int(s + 1, 8);
    w.str(ROLE_NAMES[k] ?? `Role ${k}`);
    w.int(perms, 8);
    // @everyone at the bottom, Admin at the top, others in between
    w.int(k === 0 ? 0 : k === 1 ? count - 1 : count - k, 4);
    w.int(k === 0 ? 0 : fmix32(hash2(m.keys.role, r)) & 0xffffff, 4);
    w.bool(k === 1 || k === 2);
    w.bool(k >= 2);
    w.bool(k === 0);
    w.timestamptz(created);
    w.timestamptz(created);
    w.endRow();
  }
  return to - from;
}

/** Roles (0-based within the server) held by member rank j of server s, besides @everyone. */
function memberRoles(m: Model, s: number, j: number): number[] {
  const count = m.serverRoleCount[s];
  const out: number[] = [];
  if (j < 3 && count > 1) out.push(j === 0 ? 1 : Math.min(2, count - 1)); // owner is Admin, next two moderate
  const h = hash2(m.keys.role, m.memberOffset[s] + j);
  if (count > 3 && h % 10 < 3) {
    const r = 3 + (fmix32(h) % (count - 3));
    if (!out.includes(r)) out.push(r);
  }
  return out;
}

function writeMemberRoles(m: Model, w: RowWriter, from: number, to: number): number {
  let [s, j] = membershipAt(m, from);
  let rows = 0;
  for (let r = from; r < to; r++, j++) {
    while (j >= m.serverSize[s]) {
      s++;
      j = 0;
    }
    for (const k of memberRoles(m, s, j)) {
      w.beginRow(4);
      w.int(s + 1, 8);
      w.int(memberAt(m, s, j), 8);
      w.int(m.serverFirstRole[s] + k + 1, 8);
      w.timestamptz(memberJoinedMs(m, s, j) + 3_600_000);
      w.endRow();
      rows++;
    }
  }
  return rows;
}

const CATEGORY_NAMES = ['TEXT CHANNELS', 'COMMUNITY', 'ARCHIVE'];

function writeChannels(m: Model, w: RowWriter, from: number, to: number): number {
  const rng = new RowRng();
  for (let c = from; c < to; c++) {
    rng.reset(hash2(m.keys.layout ^ 0x51, c));
    const s = m.channelServer[c];
    const type = m.channelType[c];
    const pos = m.channelPosition[c];
    const created = channelCreatedMs(m, c);
    w.beginRow(10);
    w.int(c + 1, 8);
    if (s >= 0) w.int(s + 1, 8);
    else w.null();
    if (type === 0 || type === 1) w.int(m.serverFirstChannel[s] + (pos % m.serverCategories[s]) + 1, 8);
    else w.null();
    w.str(CHANNEL_TYPES[type]);
    if (type === 0) w.str(pos < m.pools.channelNames.length ? m.pools.channelNames[pos] : `${m.pools.channelNames[pos % m.pools.channelNames.length]}-${pos}`);
    else if (type === 1) w.str(`Voice ${pos + 1}`);
    else if (type === 2) w.str(CATEGORY_NAMES[pos] ?? `Category ${pos + 1}`);
    else if (type === 4 && rng.chance(0.5)) w.str(`${m.pools.words[rng.int(m.pools.words.length)].text} squad`);
    else w.null();
    if (type === 0 && rng.chance(0.4)) w.str(m.pools.topics[rng.int(m.pools.topics.length)]);
    else w.null();
    w.int(type >= 3 ? 0 : pos, 4);
    w.bool(type === 0 && rng.chance(0.02));
    w.timestamptz(created);
    w.timestamptz(created);
    w.endRow();
  }
  return to - from;
}

function writeOverwrites(m: Model, w: RowWriter, from: number, to: number): number {
  let rows = 0;
  for (let c = from; c < to; c++) {
    if (m.channelType[c] !== 0) continue;
    const s = m.channelServer[c];
    const h = hash2(m.keys.overwrite, c);
    const created = channelCreatedMs(m, c) + 60_000;
    const row = (k: number, role: number | null, user: number | null, allow: number, deny: number) => {
      w.beginRow(8);
      w.int(c * 3 + k + 1, 8);
      w.int(c + 1, 8);
      if (role === null) w.null();
      else w.int(role, 8);
      if (user === null) w.null();
      else w.int(user, 8);
      w.int(allow, 8);
      w.int(deny, 8);
      w.timestamptz(created);
      w.timestamptz(created);
      w.endRow();
      rows++;
    };
    // A private channel: hidden from @everyone, visible to moderators.
    if (h % 5 === 0) {
      row(0, m.serverFirstRole[s] + 1, null, 0, PERM.VIEW_CHANNEL);
      if (m.serverRoleCount[s] > 2) row(1, m.serverFirstRole[s] + 3, null, PERM.VIEW_CHANNEL | PERM.SEND_MESSAGES, 0);
    } else if (h % 7 === 0) {
      // A read-only channel (announcements): nobody but moderators may send.
      row(0, m.serverFirstRole[s] + 1, null, 0, PERM.SEND_MESSAGES);
    }
    if (h % 17 === 3) row(2, null, memberAt(m, s, fmix32(h) % m.serverSize[s]), PERM.SEND_MESSAGES | PERM.ATTACH_FILES, 0);
  }
  return rows;
}

function writeDmParticipants(m: Model, w: RowWriter, from: number, to: number): number {
  let rows = 0;
  for (let d = from; d < to; d++) {
    const c = m.serverChannelCount + d;
    const members = d < m.dmCount ? friendPair(m, 2 * d) : groupDmMembers(m, d - m.dmCount);
    for (const u of members) {
      w.beginRow(3);
      w.int(c + 1, 8);
      w.int(u, 8);
      w.timestamptz(channelCreatedMs(m, c));
      w.endRow();
      rows++;
    }
  }
  return rows;
}

function writeFriendships(m: Model, w: RowWriter, from: number, to: number): number {
  for (let f = from; f < to; f++) {
    const [lo, hi] = friendPair(m, f);
    const h = hash2(m.keys.friend ^ 0x77, f);
    const p = h % 100;
    const created = m.params.startMs - (1 + (fmix32(h) % 500)) * DAY;
    w.beginRow(6);
    w.int(lo, 8);
    w.int(hi, 8);
    w.int(h & 1 ? lo : hi, 8);
    w.str(p < 85 ? 'accepted' : p < 95 ? 'pending' : 'blocked');
    w.timestamptz(created);
    w.timestamptz(created + (p < 85 ? 3_600_000 : 0));
    w.endRow();
  }
  return to - from;
}

function readStateRow(m: Model, w: RowWriter, user: number, c: number, unitIndex: number, k: number): void {
  const rng = new RowRng().reset(hash2(m.keys.read, unitIndex * 8 + k));
  // Last read: some time before the end of the data (read recently, or long ago for quiet users).
  const lag = Math.min(m.params.days * DAY, Math.floor(rng.logNormal(2 * 3_600_000, 2)));
  const at = m.endMs - lag;
  w.beginRow(6);
  w.int(user, 8);
  w.int(c + 1, 8);
  w.int(messageId(Math.max(at, m.params.startMs), 0), 8);
  w.int(rng.chance(0.05) ? 1 + rng.int(5) : 0, 4);
  w.timestamptz(at);
  w.timestamptz(at);
  w.endRow();
}

function writeReadStates(m: Model, w: RowWriter, from: number, to: number): number {
  const memberships = m.memberOffset[m.params.servers];
  let rows = 0;
  let [s, j] = from < memberships ? membershipAt(m, from) : [0, 0];
  for (let r = from; r < to; r++) {
    if (r < memberships) {
      while (j >= m.serverSize[s]) {
        s++;
        j = 0;
      }
      const user = memberAt(m, s, j);
      const first = m.serverFirstChannel[s] + m.serverCategories[s];
      const n = Math.min(DISTRIBUTION.readStatesChannelsPerMembership, m.serverTexts[s]);
      for (let k = 0; k < n; k++) {
        readStateRow(m, w, user, first + k, r, k);
        rows++;
      }
      j++;
    } else {
      const c = m.serverChannelCount + (r - memberships);
      const members = dmMembers(m, c)!;
      members.forEach((u, k) => readStateRow(m, w, u, c, r, k));
      rows += members.length;
    }
  }
  return rows;
}

function writePresence(m: Model, w: RowWriter, from: number, to: number): number {
  let rows = 0;
  for (let u = from; u < to; u++) {
    const h = hash2(m.keys.presence, u);
    if (h % 10 >= 3) continue; // about 30% online when the data ends
    const seen = m.endMs - (fmix32(h) % 600_000);
    w.beginRow(7);
    w.int(u + 1, 8);
    w.str(['online', 'online', 'idle', 'dnd'][h % 4]);
    if (h % 3 === 0) w.jsonb(`{"type": "playing", "name": "${m.pools.slugs[h % m.pools.slugs.length]}"}`);
    else w.null();
    w.timestamptz(seen);
    w.timestamptz(seen + 300_000);
    w.timestamptz(seen);
    w.timestamptz(seen);
    w.endRow();
    rows++;
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Messages and their children, generated together, chunk by chunk

const NEWLINE = entry('\n');
const SPACE = entry(' ');
const FENCE = entry('```');
const EVERYONE = entry('@everyone');

export interface MessageWriters {
  messages: RowWriter;
  message_edits: RowWriter;
  reactions: RowWriter;
  attachments: RowWriter;
}

export interface FamilyRows {
  messages: number;
  message_edits: number;
  reactions: number;
  attachments: number;
}

function space(w: RowWriter): number {
  w.piece(SPACE);
  return 1;
}

/** Writes message content: mentions, a body (several for a long message), extras; at most 4000 characters. */
function writeContent(m: Model, w: RowWriter, rng: RowRng, mentions: number[], everyone: boolean, link: string | null): void {
  const D = DISTRIBUTION;
  const bodies = m.bodies;
  const long = rng.chance(D.longMessageRate);
  const code = rng.chance(D.codeBlockRate);
  const escape = rng.chance(D.escapeRate);
  let chars = 0;
  w.beginText();
  if (everyone) {
    w.piece(EVERYONE);
    chars += EVERYONE.chars;
  }
  for (const u of mentions) {
    if (chars > 0) chars += space(w);
    w.ascii('<@');
    w.digits(u);
    w.ascii('>');
    chars += 20;
  }
  if (code) {
    if (chars > 0) chars += space(w);
    w.piece(FENCE);
    w.piece(NEWLINE);
    chars += 4;
  }
  // Budget: 4000 characters, less room for the escape token, the fence, punctuation and the link.
  const budget = 3800;
  const parts = long ? 8 + rng.int(40) : 1;
  for (let k = 0; k < parts; k++) {
    const b = rng.int(bodies.count);
    if (chars + bodies.chars[b] + 1 > budget) break;
    if (chars > 0) chars += space(w);
    w.packed(bodies, b);
    chars += bodies.chars[b];
  }
  if (escape) {
    const t = m.pools.escapes[rng.int(m.pools.escapes.length)];
    if (chars > 0) chars += space(w);
    w.piece(t);
  }
  if (code) {
    w.piece(NEWLINE);
    w.piece(FENCE);
  }
  if (rng.chance(0.3)) w.piece(m.pools.punctuation[rng.int(m.pools.punctuation.length)]);
  if (link) {
    if (chars > 0) space(w);
    w.ascii(link);
  }
  w.endText();
}

/**
 * What the channel counters need of each message written, by its row in the batch (message
 * `from + row`): its channel (0-based), or -1 when it is deleted (the counters leave those out),
 * and its id. Arrays at least as long as the batch.
 */
export interface MessageFacts {
  channel: Int32Array;
  id: Float64Array;
}

/** Messages [from, to) and their edits, reactions and attachments, into the four writers (and their facts into `facts`). */
export function writeMessageFamily(m: Model, ws: MessageWriters, from: number, to: number, facts?: MessageFacts): FamilyRows {
  const D = DISTRIBUTION;
  if (facts && (facts.channel.length < to - from || facts.id.length < to - from)) throw new Error(`message facts hold ${facts.channel.length} rows, and the batch ${to - from}`);
  const rows: FamilyRows = { messages: 0, message_edits: 0, reactions: 0, attachments: 0 };
  const rng = new RowRng();
  const hint = { minute: -1 };
  const mentions: number[] = [];
  const w = ws.messages;
  const cursor = new ConversationCursor(m);
  const inFlight = DISTRIBUTION.conversationsInFlight;
  const blockSize = inFlight * DISTRIBUTION.messagesPerConversation;
  for (let i = from; i < to; i++) {
    const created = messageTimeMs(m, i, hint);
    const id = messageId(created, i);
    cursor.at(i);
    const conv = Math.floor(i / blockSize) * inFlight + cursor.slot;
    const c = conversationChannel(m, conv);
    const pCount = participantCount(m, conv);
    const author = participant(m, conv, c, hash2(m.keys.msg ^ 0x11, i) % pCount);
    rng.reset(hash2(m.keys.msg, i));

    let replyTo = -1;
    if (rng.chance(D.replyRate) && cursor.previous >= 0) {
      replyTo = messageId(messageTimeMs(m, cursor.previous, { minute: -1 }), cursor.previous);
    }
    let threadId = -1;
    if (isThreadConversation(m, conv) && cursor.firstOfConversation !== i) {
      threadId = messageId(messageTimeMs(m, cursor.firstOfConversation, { minute: -1 }), cursor.firstOfConversation);
    }
    mentions.length = 0;
    if (rng.chance(D.mentionRate)) {
      const n = 1 + rng.int(2);
      for (let k = 0; k < n; k++) {
        const u = participant(m, conv, c, rng.int(4));
        if (u !== author && !mentions.includes(u)) mentions.push(u);
      }
    }
    const everyone = m.channelServer[c] >= 0 && rng.chance(D.everyoneMentionRate);
    const attachments = rng.chance(D.attachmentRate) ? 1 + (rng.chance(0.2) ? 1 + rng.int(2) : 0) : 0;
    const imageOnly = attachments > 0 && rng.chance(0.3);
    const link = !imageOnly && rng.chance(D.linkRate) ? `https://${m.pools.domains[rng.int(m.pools.domains.length)]}/${m.pools.slugs[rng.int(m.pools.slugs.length)]}` : null;
    const edits = rng.chance(D.editRate) ? 1 + Number(rng.chance(0.15)) : 0;
    const deleted = rng.chance(D.deleteRate);
    const editGap = 30_000 + rng.int(600_000);

    w.beginRow(13);
    w.int(id, 8);
    w.int(c + 1, 8);
    w.int(author, 8);
    if (imageOnly) {
      w.beginText();
      w.endText();
    } else writeContent(m, w, rng, mentions, everyone, link);
    if (replyTo >= 0) w.int(replyTo, 8);
    else w.null();
    if (threadId >= 0) w.int(threadId, 8);
    else w.null();
    if (mentions.length) w.int8Array(mentions);
    else w.null();
    w.bool(everyone);
    w.int(attachments, 2);
    if (link) w.jsonb(`{"embeds": [{"type": "link", "url": "${link}"}]}`);
    else w.null();
    w.timestamptz(created);
    if (edits) w.timestamptz(created + edits * editGap);
    else w.null();
    if (deleted) w.timestamptz(created + Math.floor(rng.logNormal(600_000, 1.5)));
    else w.null();
    w.endRow();
    if (facts) {
      facts.channel[i - from] = deleted ? -1 : c;
      facts.id[i - from] = id;
    }
    rows.messages++;

    for (let r = 1; r <= edits; r++) {
      const e = ws.message_edits;
      e.beginRow(5);
      e.int(id, 8);
      e.timestamptz(created);
      e.int(r, 2);
      e.beginText();
      e.packed(m.bodies, rng.int(m.bodies.count));
      e.endText();
      e.timestamptz(created + r * editGap);
      e.endRow();
      rows.message_edits++;
    }

    if (rng.chance(D.reactionMessageRate)) {
      const n = Math.min(20, 1 + Math.floor(Math.log(1 - rng.next()) / Math.log(0.55)));
      const seen: number[] = [];
      for (let k = 0; k < n; k++) {
        const emoji = EMOJI_RANK.draw(rng.next());
        const s = m.channelServer[c];
        const user = s >= 0 ? memberAt(m, s, m.reactorRank[s].draw(rng.next())) : dmMember(m, c, rng.int(dmMemberCount(m, c)));
        const key = emoji * 4294967296 + user;
        if (seen.includes(key)) continue;
        seen.push(key);
        const r = ws.reactions;
        r.beginRow(5);
        r.int(id, 8);
        r.timestamptz(created);
        r.int(user, 8);
        r.entry(REACTION_EMOJI_ENTRIES[emoji]);
        r.timestamptz(created + Math.floor(rng.logNormal(300_000, 1.5)));
        r.endRow();
        rows.reactions++;
      }
    }

    for (let k = 0; k < attachments; k++) {
      const a = ws.attachments;
      const [type, ext, visual] = CONTENT_TYPES[CONTENT_TYPE_RANK.draw(rng.next())];
      const w0 = fmix32(hash2(m.keys.attach, i * 4 + k));
      const w1 = (fmix32(w0 ^ 0x1234567) & 0xffff0fff) | 0x4000; // version 4
      const w2 = (fmix32(w0 ^ 0x89abcdef) & 0x3fffffff) | 0x80000000; // RFC 4122 variant
      const w3 = fmix32(w0 ^ 0x0badf00d);
      a.beginRow(10);
      a.uuid(w0, w1, w2, w3);
      a.int(id, 8);
      a.timestamptz(created);
      a.str(`${visual ? 'IMG' : 'file'}_${(w3 % 9000) + 1000}.${ext}`);
      a.str(`https://cdn.chatbench.example/attachments/${c + 1}/${id}/${(w3 % 9000) + 1000}.${ext}`);
      a.str(type);
      a.int(Math.max(1, Math.min(524_288_000, Math.floor(rng.logNormal(visual ? 400_000 : 80_000, 1.2)))), 8);
      if (visual) {
        const width = [320, 640, 800, 1080, 1280, 1920, 2560][rng.int(7)];
        a.int(width, 4);
        a.int(Math.round((width * [9, 10, 12, 16][rng.int(4)]) / 16), 4);
      } else {
        a.null();
        a.null();
      }
      a.timestamptz(created);
      a.endRow();
      rows.attachments++;
    }
  }
  return rows;
}

const REACTION_EMOJI_ENTRIES = REACTION_EMOJI.map((t) => entry(t));
const EMOJI_RANK = new ZipfSampler(REACTION_EMOJI_ENTRIES.length, 1.2);
const CONTENT_TYPE_RANK = new ZipfSampler(CONTENT_TYPES.length, 1.3);

type TableWriter = (m: Model, w: RowWriter, from: number, to: number) => number;

const TABLE_WRITERS: Partial<Record<TableName, TableWriter>> = {
  users: writeUsers,
  servers: writeServers,
  server_members: writeServerMembers,
  roles: writeRoles,
  member_roles: writeMemberRoles,
  channels: writeChannels,
  channel_permission_overwrites: writeOverwrites,
  dm_participants: writeDmParticipants,
  friendships: writeFriendships,
  read_states: writeReadStates,
  user_presence: writePresence,
};

/** Writes the rows of units [from, to) of a table that is not in the message family; returns the row count. */
export function writeTableRows(m: Model, table: TableName, w: RowWriter, from: number, to: number): number {
  const write = TABLE_WRITERS[table];
  if (!write) throw new Error(`${table} is generated with the message family`);
  return write(m, w, from, to);
}
