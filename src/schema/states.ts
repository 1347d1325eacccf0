// What `schema list` shows of each variant: its design, and where it stands on this server (not
// applied, loading, applied and empty, or seeded and with how many messages).
import type pg from 'pg';
import { formatCount } from '../metrics/format.ts';
import { appliedVariants, seedRecords } from './bookkeeping.ts';
import { partitionKey, type Variant } from './variants.ts';

export async function variantStates(client: pg.Client, variants: Variant[]) {
  const applied = await appliedVariants(client);
  const seeds = await seedRecords(client);
  return variants.map((v) => {
    const a = applied.find((x) => x.variant === v.name);
    const seed = seeds.get(v.name);
    return {
      name: v.name,
      summary: v.summary,
      hypothesis: v.hypothesis,
      schema: v.schema,
      partitioning: v.partitioning === null ? 'none' : 'unit' in v.partitioning ? v.partitioning.unit : `hash ${v.partitioning.partitions}`,
      partitionKey: partitionKey(v),
      indexes: v.indexes ?? 'full',
      timeIndex: v.timeIndex,
      fullTextSearch: v.features.fullTextSearch,
      messageCountTrigger: v.features.messageCountTrigger,
      state: !a ? 'not applied' : a.phase === 'pre-load' ? 'loading (no indexes yet)' : seed?.status === 'complete' ? `seeded, ${formatCount(seed.plan.messages)} messages` : 'applied (empty)',
    };
  });
}
