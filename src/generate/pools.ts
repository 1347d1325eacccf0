// Pools of names, words and phrases, built with faker once per seed (faker costs microseconds a
// call; per-row work only picks from these pools). Each entry is pre-encoded to UTF-8, and to
// COPY text format when it needs escaping, and knows its length in characters.
import type { Faker } from '@faker-js/faker';
import { copyEscape } from '../copy/escape.ts';

export interface PoolEntry {
  text: string;
  /** UTF-8 bytes. */
  raw: Buffer;
  /** Bytes as COPY's text format wants them (backslash, tab, newline, CR escaped); === raw when nothing needs escaping. */
  esc: Buffer;
  /** Length in characters (code points), as char_length() counts. */
  chars: number;
  /** Words it counts for in a message's length (1 for a pool token; more for a phrase). */
  words: number;
}

export interface Pools {
  words: PoolEntry[];
  accented: PoolEntry[];
  cjk: PoolEntry[];
  cyrillic: PoolEntry[];
  emoji: PoolEntry[];
  tech: PoolEntry[];
  punctuation: PoolEntry[];
  firstNames: string[];
  lastNames: string[];
  domains: string[];
  serverNames: string[];
  channelNames: string[];
  topics: string[];
  /** Lowercase ASCII words, safe inside URLs and JSON without escaping. */
  slugs: string[];
  /** Tokens carrying the characters COPY must escape: a tab, a Windows path, a literal backslash-n. */
  escapes: PoolEntry[];
}

/** Reaction emoji, most used first (reactions draw from them by Zipf). */
export const REACTION_EMOJI = [
  '👍', '😂', '❤️', '🔥', '😭', '🙏', '👀', '🎉', '💀', '✅', '😮', '🤔', '💯', '👏', '😍', '🥲', '😅', '🙌', '⭐', '🚀',
  '😢', '😡', '🤣', '👎', '💜', '🍕', '☕', 'kekw', 'pepega', 'catjam', 'blobheart', 'partyparrot', 'this', 'ok_hand', '🇫🇷', '🇯🇵',
];

const EMOJI = ['😀', '😂', '🥹', '😎', '🤯', '🙃', '🔥', '✨', '💯', '🎮', '🍜', '☕', '🐱', '🚀', '🌧️', '❤️', '👀', '🎉', '🤝', '👋🏽', '🧑‍💻', '🇧🇷', '¯\\_(ツ)_/¯'];
const PUNCTUATION = ['.', '!', '?', '...', '!!', '?!', ':)', ':D', 'lol', 'lmao', 'tbh', 'imo', 'gg', '+1'];
const CHANNEL_NAMES = [
  'general', 'random', 'announcements', 'off-topic', 'memes', 'help', 'support', 'dev', 'design', 'music', 'gaming',
  'introductions', 'showcase', 'feedback', 'bugs', 'releases', 'events', 'art', 'food', 'pets', 'jobs', 'resources',
  'questions', 'lounge', 'news', 'media', 'bots', 'voice-chat', 'study', 'books', 'movies', 'anime', 'sports', 'fitness',
  'crypto', 'photography', 'travel', 'languages', 'français', '日本語', 'español', 'deutsch', 'русский', 'mods-only', 'staff',
];

/**
 * Many short texts packed into two contiguous byte arrays (UTF-8, and COPY-escaped) with offsets:
 * per-row code picks one by index and copies a few bytes, touching memory that stays in cache
 * (16K separate Buffer objects would cost a cache miss or three per pick).
 */
export class PackedText {
  readonly count: number;
  /** Plain Uint8Arrays (not Buffers): their subarray() is cheap and set() is a native memcpy. */
  readonly raw: Uint8Array;
  readonly esc: Uint8Array;
  readonly rawOff: Int32Array;
  readonly escOff: Int32Array;
  readonly chars: Int32Array;
  readonly words: Uint8Array;
  readonly texts: string[];
  constructor(texts: string[], words?: number[]) {
    this.count = texts.length;
    this.texts = texts;
    const raws = texts.map((t) => Buffer.from(t, 'utf8'));
    const escs = texts.map((t) => Buffer.from(copyEscape(t), 'utf8'));
    this.raw = new Uint8Array(Buffer.concat(raws));
    this.esc = new Uint8Array(Buffer.concat(escs));
    this.rawOff = new Int32Array(texts.length + 1);
    this.escOff = new Int32Array(texts.length + 1);
    this.chars = new Int32Array(texts.length);
    this.words = new Uint8Array(texts.length);
    texts.forEach((t, i) => {
      this.rawOff[i + 1] = this.rawOff[i] + raws[i].length;
      this.escOff[i + 1] = this.escOff[i] + escs[i].length;
      this.chars[i] = [...t].length;
      this.words[i] = words?.[i] ?? 1;
    });
  }
}

export function entry(text: string, words = 1): PoolEntry {
  const raw = Buffer.from(text, 'utf8');
  const escaped = copyEscape(text);
  // Every entry has the same shape (same fields, same order): the hot copy loop stays monomorphic.
  return { text, raw, esc: escaped === text ? raw : Buffer.from(escaped, 'utf8'), chars: [...text].length, words };
}

function collect(f: Faker, n: number, make: (f: Faker) => string, accept: (s: string) => boolean = () => true): string[] {
  const out = new Set<string>();
  for (let tries = 0; out.size < n && tries < n * 20; tries++) {
    const s = make(f).trim();
    if (s && !/[\t\n\r\\]/.test(s) && accept(s)) out.add(s);
  }
  return [...out];
}

const hasNonAscii = (s: string) => /[^\x00-\x7f]/.test(s);

/**
 * Builds every pool from faker seeded with `seed`: same seed, same pools, in the same order. Faker
 * takes a third of a second to import, so it is loaded here, when pools are built, not at startup.
 */
export async function buildPools(seed: number): Promise<Pools> {
  // Only the seven locales used (importing the package entry loads all of them: twice the memory).
  const locale = async (name: string): Promise<Faker> => ((await import(`@faker-js/faker/locale/${name}`)) as { faker: Faker }).faker;
  const [fakerEN, fakerFR, fakerDE, fakerES, fakerJA, fakerZH_CN, fakerRU] = await Promise.all(['en', 'fr', 'de', 'es', 'ja', 'zh_CN', 'ru'].map(locale));
  const fakers = [fakerEN, fakerFR, fakerDE, fakerES, fakerJA, fakerZH_CN, fakerRU];
  fakers.forEach((f, i) => f.seed(seed + i * 7919));
  const words = collect(fakerEN, 2500, (f) => (f.number.int(3) === 0 ? f.lorem.word() : f.word.sample()), (s) => !/\s/.test(s));
  const accented = [
    ...collect(fakerFR, 150, (f) => f.location.city(), hasNonAscii),
    ...collect(fakerDE, 100, (f) => f.location.street(), hasNonAscii),
    ...collect(fakerES, 100, (f) => f.person.lastName(), hasNonAscii),
  ];
  const cjk = [...collect(fakerJA, 120, (f) => f.location.city()), ...collect(fakerZH_CN, 120, (f) => f.location.city())];
  const cyrillic = collect(fakerRU, 120, (f) => f.person.lastName());
  const tech = collect(fakerEN, 300, (f) => (f.number.int(1) ? f.hacker.noun() : f.hacker.verb()));
  const firstNames = collect(fakerEN, 600, (f) => f.person.firstName(), (s) => /^[A-Za-z]+$/.test(s));
  const lastNames = collect(fakerEN, 600, (f) => f.person.lastName(), (s) => /^[A-Za-z]+$/.test(s));
  const domains = collect(fakerEN, 200, (f) => f.internet.domainName(), (s) => /^[a-z0-9.-]+$/.test(s));
  const serverNames = [
    ...collect(fakerEN, 400, (f) => `${f.company.buzzNoun()} ${f.helpers.arrayElement(['Hub', 'Club', 'Guild', 'Lounge', 'HQ', 'Collective', 'Society', 'Den'])}`),
    ...collect(fakerFR, 40, (f) => `Club ${f.location.city()}`),
    ...collect(fakerJA, 40, (f) => `${f.location.city()}サーバー`),
  ].filter((s) => s.length >= 2 && s.length <= 100);
  const topics = collect(fakerEN, 200, (f) => f.company.catchPhrase());
  return {
    words: words.map((t) => entry(t)),
    accented: accented.map((t) => entry(t)),
    cjk: cjk.map((t) => entry(t)),
    cyrillic: cyrillic.map((t) => entry(t)),
    emoji: EMOJI.map((t) => entry(t)),
    tech: tech.map((t) => entry(t)),
    punctuation: PUNCTUATION.map((t) => entry(t)),
    firstNames,
    lastNames,
    domains,
    serverNames,
    channelNames: CHANNEL_NAMES,
    topics,
    slugs: words.filter((w) => /^[a-z]{3,}$/.test(w)).slice(0, 500),
    escapes: ['\t', 'C:\\Users\\chat\\notes.txt', 'use \\n for a newline', 'col1\tcol2'].map((t) => entry(t)),
  };
}
