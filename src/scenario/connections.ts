// Connection slots: each holds one lean connection of a scenario's pool and reconnects it after the
// server went away (a restart, a crash, a killed backend), with backoff, so a run survives an outage.
import type { LeanConnection } from '../db/lean-connection.ts';
import { lostConnection, sqlstateName } from '../db/sqlstate.ts';
import { nowUs, sleepUntilUs } from '../metrics/clock.ts';

const FIRST_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 1000;

export interface Failure {
  code: string;
  name: string;
  message: string;
}

/**
 * A driver error as a SQLSTATE. Errors without one are the client's view of a broken connection:
 * 08001 when it could not connect, 08006 when an open connection died (the codes libpq and JDBC use).
 */
export function classify(e: unknown, connecting = false): Failure {
  const err = e as { code?: string; message?: string };
  const message = err?.message ?? String(e);
  if (typeof err?.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code)) return { code: err.code, name: sqlstateName(err.code), message };
  if (connecting || /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|timeout expired/i.test(message)) return { code: '08001', name: sqlstateName('08001'), message };
  if (lostConnection(message)) return { code: '08006', name: sqlstateName('08006'), message };
  return { code: 'CB999', name: 'client error', message };
}

/** Failures after which the connection is gone: class 08, and the server shutting down or crashing. */
export function losesConnection(code: string): boolean {
  return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03';
}

export class Slot {
  private client: LeanConnection | undefined;
  private nextTryUs = 0;
  private backoffMs = FIRST_BACKOFF_MS;
  /** Reconnections made (a restart shows as one per slot). */
  reconnects = 0;

  constructor(
    private readonly connect: () => Promise<LeanConnection>,
    initial?: LeanConnection,
  ) {
    if (initial) this.adopt(initial);
  }

  private adopt(client: LeanConnection): void {
    this.client = client;
    // The server ending the connection between queries: forget the client, the next use reconnects.
    const forget = () => {
      if (this.client === client) this.client = undefined;
    };
    client.pgClient.on('end', forget);
    client.pgClient.on('error', forget);
  }

  /** The live client without waiting, if there is one (the hot path's common case). */
  get ready(): LeanConnection | undefined {
    return this.client && !this.client.isClosed ? this.client : undefined;
  }

  /** The live client, reconnecting first if needed (after waiting out the backoff). A failed connect throws. */
  async get(signal: AbortSignal): Promise<LeanConnection> {
    if (this.client && !this.client.isClosed) return this.client;
    await sleepUntilUs(this.nextTryUs, signal);
    try {
      const c = await this.connect();
      this.adopt(c);
      this.backoffMs = FIRST_BACKOFF_MS;
      this.reconnects++;
      return c;
    } catch (e) {
      this.nextTryUs = nowUs() + this.backoffMs * 1000;
      this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
      throw e;
    }
  }

  /** After a failure that loses the connection: drop the client so the next use reconnects. */
  broken(): void {
    const c = this.client;
    this.client = undefined;
    c?.close().catch(() => {});
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    await c?.close().catch(() => {});
  }
}
