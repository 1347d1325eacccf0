// Loads the variant manifests of schemas/variants/ and turns a variant into its ordered list of SQL
// migrations (rendered from the shared fragments in schemas/fragments/), split into the phases
// that run before the bulk load and after it.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, UsageError, invalidFlag } from '../errors.ts';

export type PartitionUnit = 'week' | 'month';
export type Phase = 'pre-load' | 'post-load';

/**
 * How the hot tables are partitioned: range partitions of a period, bounded by creation time or by
 * the snowflake id of the period's first instant (children by the same bounds), or a fixed number
 * of hash partitions by channel (children by the hash of their message id).
 */
export type Partitioning =
  | { by: 'created_at' | 'id'; unit: PartitionUnit }
  | { by: 'channel_id'; partitions: number };

export interface VariantManifest {
  name: string;
  summary: string;
  hypothesis: string;
  /** In a manifest, {"unit": "month"} alone means by created_at. */
  partitioning: Partitioning | null;
  timeIndex: 'btree' | 'brin';
  /** 'full' (the default): plain indexes; 'partial-covering': the hot message indexes skip soft-deleted rows, history covers its page. */
  indexes?: 'full' | 'partial-covering';
  features: { fullTextSearch: boolean; messageCountTrigger: boolean };
}

/** The period of a range-partitioned variant (by time or by id), or null (unpartitioned, hash). */
export function rangeUnit(v: Pick<VariantManifest, 'partitioning'>): PartitionUnit | null {
  return v.partitioning && 'unit' in v.partitioning ? v.partitioning.unit : null;
}

/** The column messages are partitioned by, or null when they are not. */
export function partitionKey(v: Pick<VariantManifest, 'partitioning'>): 'created_at' | 'id' | 'channel_id' | null {
  // A manifest built in code may leave out "by", as one on disk may: the time, as before ids existed.
  return v.partitioning ? (v.partitioning.by ?? 'created_at') : null;
}

export interface Migration {
  /** Fragment file stem, e.g. "03_messages". */
  name: string;
  phase: Phase;
  up: string;
  down: string;
  /** The fragment files, for messages that name where a statement came from. */
  upFile: string;
  downFile: string;
}

export interface Variant extends VariantManifest {
  /** The PostgreSQL schema the variant lives in: chatbench_<name with underscores>. */
  schema: string;
  migrations: Migration[];
  /** Hash of the rendered SQL: tells whether an applied variant matches the current definition. */
  definitionHash: string;
}

const NAME_RE = /^[a-z][a-z0-9-]{1,40}$/;

export function schemaNameOf(variant: string): string {
  return `chatbench_${variant.replaceAll('-', '_')}`;
}

/** Every fragment with the phase it belongs to, in the order they apply; a variant picks some. */
function fragmentsFor(m: VariantManifest): Array<{ file: string; phase: Phase }> {
  const list: Array<{ file: string; phase: Phase } | false> = [
    { file: '01_functions', phase: 'pre-load' },
    { file: '02_tables', phase: 'pre-load' },
    { file: '03_messages', phase: 'pre-load' },
    { file: '04_retention', phase: 'pre-load' },
    { file: '05_keys', phase: 'post-load' },
    { file: `06_time_index_${m.timeIndex}`, phase: 'post-load' },
    { file: '07_foreign_keys', phase: 'post-load' },
    { file: '08_triggers', phase: 'post-load' },
    m.features.messageCountTrigger && { file: '09_message_count_trigger', phase: 'post-load' },
    m.features.fullTextSearch && { file: '10_full_text_search', phase: 'post-load' },
  ];
  return list.filter((f): f is { file: string; phase: Phase } => f !== false);
}

/** The template's yes/no sections and values, from a manifest. */
function templateContext(m: VariantManifest): { flags: Record<string, boolean>; values: Record<string, string | undefined> } {
  const by = partitionKey(m);
  const unit = rangeUnit(m);
  return {
    flags: {
      partitioned: by !== null,
      range_partitioned: unit !== null,
      time_partitioned: by === 'created_at',
      id_partitioned: by === 'id',
      hash_partitioned: by === 'channel_id',
      partial_indexes: m.indexes === 'partial-covering',
    },
    values: {
      partition_unit: unit ?? undefined,
      // The column of messages its range partitions are bounded by.
      partition_key: unit ? (by as string) : undefined,
      // The column that places a child row (edit, reaction, attachment) with its message: the
      // message's time, or its id where messages are split by id or by channel (children carry no
      // channel, so they follow the message id). Unpartitioned keeps the time so keys match.
      child_key: by === 'id' || by === 'channel_id' ? 'message_id' : 'message_created_at',
      hash_partitions: m.partitioning && 'partitions' in m.partitioning ? String(m.partitioning.partitions) : undefined,
    },
  };
}

/**
 * The fragments' tiny template language: {{#flag}}...{{/flag}} keeps a block when the flag holds,
 * {{^flag}}...{{/flag}} when it does not (flags: partitioned, range_partitioned, time_partitioned,
 * id_partitioned, hash_partitioned, partial_indexes; blocks of different flags nest), and
 * {{partition_unit}}, {{partition_key}}, {{child_key}}, {{hash_partitions}} are values. Anything
 * else in braces, or a value the variant has none of, is an error, so a typo cannot reach the server.
 */
export function renderFragment(sql: string, m: VariantManifest, file: string): string {
  const { flags, values } = templateContext(m);
  let out = sql;
  for (;;) {
    // Innermost first: a block with no other block inside it.
    const next = out.replace(/\{\{([#^])([a-z_]+)\}\}((?:(?!\{\{[#^/])[\s\S])*?)\{\{\/\2\}\}/g, (whole, kind: string, flag: string, body: string) => {
      if (!(flag in flags)) throw new ConfigError(`${file}: unknown template section {{${kind}${flag}}}`);
      return (kind === '#') === flags[flag] ? body : '';
    });
    if (next === out) break;
    out = next;
  }
  out = out.replace(/\{\{([a-z_]+)\}\}/g, (whole, name: string) => {
    if (!(name in values)) return whole; // reported below as unknown
    const v = values[name];
    if (v === undefined) throw new ConfigError(`${file}: {{${name}}} used by variant ${m.name}, which has no ${name.replace('_', ' ')} (put it in a section that only such variants keep)`);
    return v;
  });
  const left = /\{\{[^}]*\}\}/.exec(out);
  if (left) throw new ConfigError(`${file}: unknown template tag ${left[0]}`);
  return `${out.replace(/\n{3,}/g, '\n\n').trim()}\n`;
}

/** A manifest's partitioning, normalised ({"unit": ...} alone is by created_at); a string says what is wrong. */
function normalisePartitioning(raw: unknown): Partitioning | null | string {
  const wrong = 'partitioning must be null, {"by": "created_at" | "id", "unit": "week" | "month"} or {"by": "channel_id", "partitions": 2 to 256}';
  if (raw === null) return null;
  const p = raw as { by?: unknown; unit?: unknown; partitions?: unknown };
  if (typeof p !== 'object' || Array.isArray(p)) return wrong;
  const by = p.by ?? 'created_at';
  if ((by === 'created_at' || by === 'id') && (p.unit === 'week' || p.unit === 'month') && p.partitions === undefined) return { by, unit: p.unit };
  if (by === 'channel_id' && Number.isInteger(p.partitions) && (p.partitions as number) >= 2 && (p.partitions as number) <= 256 && p.unit === undefined) return { by, partitions: p.partitions as number };
  return wrong;
}

function validateManifest(raw: unknown, file: string): VariantManifest {
  const m = raw as VariantManifest;
  const partitioning = normalisePartitioning(m?.partitioning ?? null);
  const problem =
    typeof m?.name !== 'string' || !NAME_RE.test(m.name) ? 'name must be lowercase letters, digits and dashes'
    : path.basename(file, '.json') !== m.name ? `name "${m.name}" must match the file name`
    : typeof m.summary !== 'string' || typeof m.hypothesis !== 'string' || m.hypothesis.length < 40 ? 'summary and a hypothesis paragraph are required'
    : typeof partitioning === 'string' ? partitioning
    : !['btree', 'brin'].includes(m.timeIndex) ? 'timeIndex must be "btree" or "brin"'
    : m.indexes !== undefined && !['full', 'partial-covering'].includes(m.indexes) ? 'indexes must be "full" or "partial-covering"'
    : typeof m.features?.fullTextSearch !== 'boolean' || typeof m.features?.messageCountTrigger !== 'boolean' ? 'features.fullTextSearch and features.messageCountTrigger must be true or false'
    : undefined;
  if (problem || typeof partitioning === 'string') throw new ConfigError(`invalid variant manifest ${file}: ${problem}`);
  return { ...m, partitioning, indexes: m.indexes ?? 'full' };
}

/** All variants defined in `schemasDir` (schemas/), sorted with the baseline first. */
export function loadVariants(schemasDir: string): Variant[] {
  const dir = path.join(schemasDir, 'variants');
  if (!fs.existsSync(dir)) throw new ConfigError(`no variants folder at ${dir}: CHATBENCH_SCHEMAS must name a folder holding variants/ and fragments/ (a copy of schemas/)`);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
  const variants = files.map((f) => {
    const file = path.join(dir, f);
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (cause) {
      throw new ConfigError(`cannot read variant manifest ${file}: ${(cause as Error).message}`, { cause });
    }
    return buildVariant(validateManifest(raw, file), schemasDir);
  });
  return variants.sort((a, b) => variantOrder(a) - variantOrder(b) || a.name.localeCompare(b.name));
}

/** Baseline first, then layouts from the plainest to the most partitioned, extras last. */
function variantOrder(v: VariantManifest): number {
  const by = partitionKey(v);
  const layout = by === null ? (v.indexes === 'partial-covering' ? 1 : 0)
    : by === 'channel_id' ? 6
    : (by === 'id' ? 4 : 2) + (rangeUnit(v) === 'month' ? 0 : 1);
  const extras = Number(v.features.fullTextSearch) + Number(!v.features.messageCountTrigger);
  return extras * 100 + (v.timeIndex === 'btree' ? 0 : 10) + layout;
}

export function buildVariant(m: VariantManifest, schemasDir: string): Variant {
  const migrations = fragmentsFor(m).map(({ file, phase }) => {
    const fileOf = (kind: 'up' | 'down') => path.join(schemasDir, 'fragments', `${file}.${kind}.sql`);
    const read = (kind: 'up' | 'down') => renderFragment(fs.readFileSync(fileOf(kind), 'utf8'), m, fileOf(kind));
    return { name: file, phase, up: read('up'), down: read('down'), upFile: fileOf('up'), downFile: fileOf('down') };
  });
  const definitionHash = createHash('sha256')
    .update(migrations.map((x) => `${x.name}\n${x.up}\n${x.down}`).join('\n'))
    .digest('hex')
    .slice(0, 16);
  return { ...m, schema: schemaNameOf(m.name), migrations, definitionHash };
}

/** Variant names from a --variants value (`a,b` or `all`); unknown names list the valid ones. */
export function pickVariants(all: Variant[], raw: unknown, flag = 'variants'): Variant[] {
  const names = all.map((v) => v.name);
  const text = String(raw ?? 'all').trim();
  if (text === 'all') return all;
  const wanted = text.split(',').map((s) => s.trim());
  // "a," or "a,,b" is a typo, not a shorter list: say so rather than seed something else than asked.
  if (wanted.some((w) => w === '')) throw invalidFlag(flag, raw, `a comma-separated list of ${names.join(', ')} with no empty name, or all`);
  if (wanted.length === 0) throw invalidFlag(flag, raw, `one or more of ${names.join(', ')}, or all`);
  for (const w of wanted) {
    if (!names.includes(w)) throw invalidFlag(flag, w, `one or more of ${names.join(', ')}, or all`);
  }
  return all.filter((v) => wanted.includes(v.name));
}

export function findVariant(all: Variant[], name: string, flag = 'variant'): Variant {
  const v = all.find((x) => x.name === name);
  if (!v) throw new UsageError(`invalid value ${JSON.stringify(name)} for --${flag}: expected one of ${all.map((x) => x.name).join(', ')}`);
  return v;
}
