// What results and reports record about the server: version, the settings that matter, extensions.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { formatSettingBytes } from '../metrics/format.ts';
import type { RunEnvironment } from '../results/types.ts';
import { machineFacts, REPORTED_SETTINGS } from './server-settings.ts';
import type { Target } from './target.ts';

export interface ServerFacts {
  version: string;
  versionNum: number;
  settings: Record<string, string>;
  pgStatStatements: 'installed' | 'available' | 'not preloaded' | 'missing';
}

export async function serverFacts(client: pg.Client): Promise<ServerFacts> {
  const v = await client.query<{ version: string; num: string }>("SELECT version() AS version, current_setting('server_version_num') AS num");
  const s = await client.query<{ name: string; setting: string; unit: string | null }>(
    'SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1)',
    [REPORTED_SETTINGS as unknown as string[]],
  );
  const settings: Record<string, string> = {};
  for (const row of s.rows) settings[row.name] = humanSetting(row.setting, row.unit);
  const ext = await client.query<{ installed: boolean; available: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements') AS installed,
            EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_stat_statements') AS available`,
  );
  const preloaded = (settings.shared_preload_libraries ?? '').includes('pg_stat_statements');
  const { installed, available } = ext.rows[0];
  return {
    version: v.rows[0].version,
    versionNum: Number(v.rows[0].num),
    settings,
    pgStatStatements: !available ? 'missing' : !preloaded ? 'not preloaded' : installed ? 'installed' : 'available',
  };
}

const UNIT_BYTES: Record<string, number> = { B: 1, kB: 1024, '8kB': 8192, '16kB': 16384, '16MB': 16 * 1024 * 1024, MB: 1024 * 1024 };

/** pg_settings reports 786432 with unit 8kB; people read 6GB. */
function humanSetting(setting: string, unit: string | null): string {
  if (!unit) return setting;
  const n = Number(setting);
  if (unit in UNIT_BYTES && Number.isFinite(n)) return formatSettingBytes(n * UNIT_BYTES[unit]);
  return `${setting}${unit}`;
}

/** Versions, machine and server settings for a results file; the caller adds clientPriority, its watch's account of the whole run (metrics/priority.ts). */
export async function runEnvironment(target: Target, client: pg.Client): Promise<RunEnvironment> {
  const facts = await serverFacts(client);
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  let chatbench = 'unknown';
  try {
    chatbench = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;
  } catch {
    // keep unknown
  }
  const git = spawnSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, encoding: 'utf8' });
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' });
  const commit = git.status === 0 ? `${git.stdout.trim()}${dirty.stdout?.trim() ? '-dirty' : ''}` : null;
  const m = machineFacts();
  return {
    versions: { chatbench, gitCommit: commit, node: process.version, postgres: facts.version },
    machine: { cores: m.cores, memBytes: m.memBytes, platform: `${os.platform()} ${os.release()} ${os.arch()}`, cpuModel: os.cpus()[0]?.model ?? 'unknown' },
    serverSettings: facts.settings,
    target: target.display,
    targetKind: target.kind,
  };
}

export interface RelationSize {
  tableBytes: number;
  indexes: Record<string, number>;
}

/** Heap (with TOAST) and index bytes of every table of a schema, partitions summed into their parent. */
export async function relationSizes(client: pg.ClientBase, schema: string): Promise<Record<string, RelationSize>> {
  const r = await client.query(
    `SELECT c.relname AS table,
            CASE WHEN c.relkind = 'p'
                 THEN (SELECT coalesce(sum(pg_table_size(t.relid)), 0) FROM pg_partition_tree(c.oid) t WHERE t.isleaf)
                 ELSE pg_table_size(c.oid) END::bigint AS table_bytes,
            coalesce((SELECT jsonb_object_agg(i.relname,
                               CASE WHEN i.relkind = 'I'
                                    THEN (SELECT coalesce(sum(pg_relation_size(p.relid)), 0) FROM pg_partition_tree(i.oid) p WHERE p.isleaf)
                                    ELSE pg_relation_size(i.oid) END)
                        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = c.oid), '{}') AS indexes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition`,
    [schema],
  );
  const out: Record<string, RelationSize> = {};
  for (const row of r.rows) {
    out[row.table] = {
      tableBytes: Number(row.table_bytes),
      indexes: Object.fromEntries(Object.entries(row.indexes as Record<string, number>).map(([k, v]) => [k, Number(v)])),
    };
  }
  return out;
}
