// Benchmark settings for the embedded server, sized from the machine it runs on.
// Pure: (memory, cores) -> settings; the embedded lifecycle writes them and results record them.
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface MachineFacts {
  memBytes: number;
  cores: number;
}

const MB = 1024 * 1024;
const GB = 1024 * MB;

/** Memory actually available to us: the smaller of RAM and a cgroup limit, when there is one. */
export function machineFacts(): MachineFacts {
  let memBytes = os.totalmem();
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const limit = Number(readFileSync(file, 'utf8').trim());
      if (Number.isFinite(limit) && limit > 0 && limit < memBytes) memBytes = limit;
    } catch {
      // no cgroup limit file: RAM it is
    }
  }
  return { memBytes, cores: os.availableParallelism() };
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const mb = (bytes: number) => `${Math.floor(bytes / MB)}MB`;

/**
 * Settings a DBA would give a dedicated benchmarking server of this size. Durability stays on
 * (fsync, synchronous_commit, full_page_writes): a benchmark of a chat schema must pay what
 * production pays for its statements. JIT is off because its compile time shows up as latency outliers in OLTP reads.
 */
export function benchmarkSettings({ memBytes, cores }: MachineFacts): Record<string, string> {
  return {
    shared_buffers: mb(clamp(memBytes * 0.25, 128 * MB, 8 * GB)),
    effective_cache_size: mb(clamp(memBytes * 0.6, 256 * MB, 64 * GB)),
    work_mem: mb(clamp(memBytes / 256, 4 * MB, 64 * MB)),
    maintenance_work_mem: mb(clamp(memBytes / 16, 64 * MB, 2 * GB)),
    wal_buffers: '64MB',
    // No standby and no archive on a benchmarking server: the statements of a workload log the same
    // WAL as at "replica", while bulk work on a relation created or truncated in the same transaction
    // (the seeder's COPY into each partition, every index build) is synced at commit instead of
    // logged (docs/PERFORMANCE.md: the 100M seed's WAL by step).
    wal_level: 'minimal',
    max_wal_senders: '0',
    max_wal_size: memBytes >= 8 * GB ? '8GB' : '2GB',
    min_wal_size: '1GB',
    checkpoint_timeout: '15min',
    checkpoint_completion_target: '0.9',
    max_connections: '200',
    random_page_cost: '1.1',
    effective_io_concurrency: '200',
    max_worker_processes: String(Math.max(8, cores)),
    max_parallel_workers: String(Math.max(2, cores)),
    max_parallel_workers_per_gather: String(Math.max(1, Math.floor(cores / 2))),
    max_parallel_maintenance_workers: String(Math.max(1, Math.floor(cores / 2))),
    jit: 'off',
    track_io_timing: 'on',
    shared_preload_libraries: 'pg_stat_statements',
    'pg_stat_statements.max': '10000',
    'pg_stat_statements.track': 'top',
    'pg_stat_statements.track_utility': 'off',
  };
}

/** The settings every report shows, whatever server it ran on (the ones above plus a few defaults). */
export const REPORTED_SETTINGS = [
  ...Object.keys(benchmarkSettings({ memBytes: GB, cores: 1 })),
  'fsync',
  'synchronous_commit',
  'full_page_writes',
  'wal_level',
  'autovacuum',
  'server_version',
  'data_checksums',
] as const;
