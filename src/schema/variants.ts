// Loads the variant manifests of schemas/variants/ and turns a variant into its ordered list of SQL
// migrations (rendered from the shared fragments in schemas/fragments/), split into the phases
// that run before the bulk load and after it.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, UsageError, invalidFlag } from '../errors.ts';

export type PartitionUnit = 'week' | 'month';
export type Phase = 'pre-load' | 'post-load';

export interface VariantManifest {
  name: string;
  summary: string;
  hypothesis: string;
  partitioning: { unit: PartitionUnit } | null;
  timeIndex: 'btree' | 'brin';
  features: { fullTextSearch: boolean; messageCountTrigger: boolean };
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

/**
 * The fragments' tiny template language: {{#partitioned}}...{{/partitioned}} keeps a block for
 * partitioned variants, {{^partitioned}}...{{/partitioned}} for the others, {{partition_unit}} is
 * week or month. Anything else in braces is an error, so a typo cannot reach the server.
 */
export function renderFragment(sql: string, m: VariantManifest, file: string): string {
  const partitioned = m.partitioning !== null;
  let out = sql.replace(/\{\{([#^])partitioned\}\}([\s\S]*?)\{\{\/partitioned\}\}/g, (_, kind: string, body: string) =>
    (kind === '#') === partitioned ? body : '',
  );
  out = out.replace(/\{\{partition_unit\}\}/g, () => {
    if (!m.partitioning) throw new ConfigError(`${file}: {{partition_unit}} used outside a {{#partitioned}} block`);
    return m.partitioning.unit;
  });
  const left = /\{\{[^}]*\}\}/.exec(out);
  if (left) throw new ConfigError(`${file}: unknown template tag ${left[0]}`);
  return `${out.replace(/\n{3,}/g, '\n\n').trim()}\n`;
}

/** A manifest as zod reads it; each field's complaint is the one line a person sees. */
const SUMMARY_HELP = 'summary and a hypothesis paragraph are required';
const PARTITIONING_HELP = 'partitioning must be null or {"unit": "week" | "month"}';
const FEATURES_HELP = 'features.fullTextSearch and features.messageCountTrigger must be true or false';
const manifestSchema = z.object({
  name: z.string().regex(NAME_RE, { error: 'name must be lowercase letters, digits and dashes' }),
  summary: z.string({ error: SUMMARY_HELP }),
  hypothesis: z.string({ error: SUMMARY_HELP }).min(40, { error: SUMMARY_HELP }),
  partitioning: z.object({ unit: z.enum(['week', 'month'], { error: PARTITIONING_HELP }) }, { error: PARTITIONING_HELP }).nullable(),
  timeIndex: z.enum(['btree', 'brin'], { error: 'timeIndex must be "btree" or "brin"' }),
  features: z.object({ fullTextSearch: z.boolean({ error: FEATURES_HELP }), messageCountTrigger: z.boolean({ error: FEATURES_HELP }) }, { error: FEATURES_HELP }),
});

function validateManifest(raw: unknown, file: string): VariantManifest {
  const parsed = manifestSchema.safeParse(raw);
  const problem = !parsed.success ? parsed.error.issues[0].message : path.basename(file, '.json') !== parsed.data.name ? `name "${parsed.data.name}" must match the file name` : undefined;
  if (problem !== undefined || !parsed.success) throw new ConfigError(`invalid variant manifest ${file}: ${problem}`);
  return parsed.data;
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

function variantOrder(v: VariantManifest): number {
  const layout = v.partitioning === null ? 0 : v.partitioning.unit === 'month' ? 1 : 2;
  const extras = Number(v.features.fullTextSearch) + Number(!v.features.messageCountTrigger);
  return extras * 100 + (v.timeIndex === 'btree' ? 0 : 10) + layout;
}

function buildVariant(m: VariantManifest, schemasDir: string): Variant {
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
