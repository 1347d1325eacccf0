// Samples the seed every second for its timeline and progress line: rows and COPY bytes sent so
// far (counted by the loader), the server's WAL position, and this process's memory.
import type pg from 'pg';
import { connectClient, SEED_CONNECT_TIMEOUT_MS, type Target } from '../db/target.ts';
import type { SeedTimeline } from '../results/types.ts';

export type Sample = SeedTimeline['samples'][number];

export class Sampler {
  private client?: pg.Client;
  private timer?: NodeJS.Timeout;
  private rows = 0;
  private bytes = 0;
  private readonly list: Sample[] = [];
  private busy = false;

  constructor(
    private readonly target: Target,
    private readonly clock: () => number,
    private readonly everyMs = 1000,
  ) {}

  async start(): Promise<void> {
    this.client = await connectClient(this.target, { applicationName: 'chatbench seed sampler', connectTimeoutMs: SEED_CONNECT_TIMEOUT_MS });
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.everyMs);
    this.timer.unref();
  }

  add(rows: number, bytes: number): void {
    this.rows += rows;
    this.bytes += bytes;
  }

  /** The server's WAL insert position in bytes (null when it cannot be read, e.g. on a standby). */
  async walBytes(): Promise<number | undefined> {
    try {
      const r = await this.client!.query(`SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::float8 AS b`);
      return Number(r.rows[0].b);
    } catch {
      return undefined;
    }
  }

  private async tick(): Promise<void> {
    if (this.busy || !this.client) return;
    this.busy = true;
    try {
      const wal = await this.walBytes();
      this.list.push({ t: Math.round(this.clock()), rows: this.rows, bytes: this.bytes, walBytes: wal ?? null, rssBytes: process.memoryUsage.rss() });
    } finally {
      this.busy = false;
    }
  }

  latest(): Sample[] {
    return this.list.slice(-6);
  }

  samples(): Sample[] {
    return [...this.list];
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.tick().catch(() => {});
    await this.client?.end().catch(() => {});
    this.client = undefined;
  }
}
