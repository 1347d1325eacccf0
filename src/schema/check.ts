// `check`: the audit run on each variant where it stands (on its seeded data, or applied and empty)
// or, when it is not applied here (or applied from an older definition), built in a throwaway
// schema; every audit in a rolled-back transaction, so nothing is left behind.
import type pg from 'pg';
import { UsageError } from '../errors.ts';
import { DEFAULT_DAYS, DEFAULT_START_MS } from '../generate/defaults.ts';
import { applyScratch } from './apply.ts';
import { auditSchema, type AuditQuery, type AuditResult } from './audit.ts';
import { appliedVariants, seedRecords } from './bookkeeping.ts';
import type { Variant } from './variants.ts';

export interface CheckReport {
  target: string;
  how: string;
  result: AuditResult;
}

/** Audits a schema of the user's own (as it is, no scenario queries), or the given variants. */
export async function checkSchemas(client: pg.Client, o: { schema?: string; variants: Variant[]; queries: AuditQuery[]; where: string; throwIfAborted(): void }): Promise<CheckReport[]> {
  const reports: CheckReport[] = [];
  if (o.schema !== undefined) {
    const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [o.schema]);
    if (!exists.rowCount) throw new UsageError(`invalid value ${JSON.stringify(o.schema)} for --schema: no such schema in ${o.where}`);
    reports.push({ target: o.schema, how: 'as it is', result: await inRolledBack(client, () => auditSchema(client, o.schema!, { seeded: true, queries: [] })) });
  }
  const applied = o.variants.length ? await appliedVariants(client) : [];
  for (const v of o.variants) {
    o.throwIfAborted();
    const a = applied.find((x) => x.variant === v.name);
    const seed = a ? (await seedRecords(client, [v.name])).get(v.name) : undefined;
    const range = seed?.status === 'complete' ? { fromMs: seed.plan.startMs, toMs: seed.plan.endMs } : undefined;
    // A schema applied from an older definition of schemas/ may lack what today's queries call
    // (snowflake_ceil, say): auditing it would fail on that, not judge the design.
    const stale = a !== undefined && a.definitionHash !== v.definitionHash;
    if (a && a.phase === 'post-load' && !stale) {
      const how = range ? 'on its seeded data' : 'applied, empty';
      reports.push({ target: v.name, how, result: await inRolledBack(client, () => auditSchema(client, v.schema, { seeded: Boolean(range), range, queries: o.queries })) });
    } else {
      // Not applied (or mid-seed, or stale): build it in a throwaway schema and roll back.
      const scratch = `chatbench_check_${process.pid}`;
      const defaultRange = { fromMs: DEFAULT_START_MS, toMs: DEFAULT_START_MS + DEFAULT_DAYS * 86_400_000 };
      const result = await inRolledBack(client, async () => {
        await applyScratch(client, v, scratch, defaultRange);
        return auditSchema(client, scratch, { seeded: false, range: defaultRange, queries: o.queries });
      });
      reports.push({ target: v.name, how: stale ? staleHow(v, seed !== undefined) : 'built in a throwaway schema (not applied here)', result });
    }
  }
  return reports;
}

/** What a check of a variant applied from an older definition did instead, and the command that brings it up to date. */
function staleHow(v: Variant, seeded: boolean): string {
  const fix = seeded ? `chatbench seed --variants ${v.name} --force` : `chatbench schema revert --variant ${v.name} --force, then schema apply --variant ${v.name}`;
  return `built in a throwaway schema: the applied one is from an older definition of schemas/; "${fix}" brings it up to date`;
}

async function inRolledBack<T>(client: pg.Client, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    return await fn();
  } finally {
    await client.query('ROLLBACK');
  }
}
