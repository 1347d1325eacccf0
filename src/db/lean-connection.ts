// A lean query path for measured operations. node-postgres opens and authenticates the connection
// (TLS, SCRAM, options); then this speaks the extended protocol on its socket itself, framing each
// answer's rows without decoding them. A field is decoded (with chatbench's type parsers) only when
// asked for, so the client's cost per query stays near libpq's whatever the rows weigh.
import net from 'node:net';
import pg from 'pg';
import { DatabaseError as PgDatabaseError } from 'pg-protocol';
import { prepareValue } from 'pg/lib/utils.js';
import { chatbenchTypes } from './type-parsers.ts';

/** A statement prepared on one connection: its name and the types of the columns it returns. */
export interface PreparedStatement {
  readonly name: string;
  readonly sql: string;
  readonly columnTypes: readonly number[];
}

/** An answer, decoded only where it is read. Valid until the next query on the same connection. */
export interface LeanRows {
  readonly length: number;
  /** Column j of row i (0-based), parsed as node-postgres would; only this value is decoded. */
  value(i: number, j: number): unknown;
  /** Row i, every column decoded. */
  row(i: number): unknown[];
}

type Parser = (text: string) => unknown;

/** A prepared statement as this connection keeps it: with its Bind message's first bytes. */
interface KnownStatement extends PreparedStatement {
  /** 'B', the length (patched per query), the unnamed portal, the statement's name, no parameter format codes (all text). */
  readonly bindHead: Buffer;
  /** Its columns' type parsers, found as values are first read. */
  readonly parsers: Parser[];
}

// The end of every Bind (results: all text), then Execute (unnamed portal, all rows) and Sync: the same bytes every time.
const RESULTS_TEXT_BYTES = 4;
const BIND_TAIL = Buffer.from([0, 1, 0, 0, 0x45, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0x53, 0, 0, 0, 4]);
/** Parse and Describe without the statement's name (twice) and text: types, lengths, terminators. */
const PARSE_DESCRIBE_FIXED_BYTES = 1 + 4 + 1 + 1 + 2 + 1 + 4 + 1 + 1;
/** A safe integer's text: a sign and 16 digits. */
const MAX_SAFE_INTEGER_CHARS = 17;
/** UTF-8 takes at most 3 bytes per UTF-16 code unit (a surrogate pair: 4 bytes for 2 units). */
const MAX_UTF8_BYTES_PER_UNIT = 3;
const NULL_FIELD = -1;
/** Room left for each read: the kernel hands over at most this much at a time. */
const READ_BYTES = 64 * 1024;

/** An ErrorResponse as node-postgres reports it, so callers read `code`, `detail`, `hint` alike. */
function errorFrom(buf: Buffer, start: number, end: number): Error {
  const fields: Record<string, string> = {};
  let i = start;
  while (i < end && buf[i] !== 0) {
    const stop = buf.indexOf(0, i + 1);
    fields[String.fromCharCode(buf[i])] = buf.toString('utf8', i + 1, stop);
    i = stop + 1;
  }
  const e = new PgDatabaseError(fields.M ?? 'unknown server error', end - start, 'error');
  Object.assign(e, { severity: fields.V ?? fields.S, code: fields.C, detail: fields.D, hint: fields.H, position: fields.P, where: fields.W, schema: fields.s, table: fields.t, column: fields.c, constraint: fields.n });
  return e;
}

/** A parameter as text, the way node-postgres sends it (Dates in the session's offset, arrays, JSON). */
export function paramText(v: unknown): string | Buffer | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return prepareValue(v);
}

function bindHead(name: string): Buffer {
  const nameBytes = Buffer.byteLength(name);
  const head = Buffer.alloc(1 + 4 + 1 + nameBytes + 1 + 2);
  head[0] = 0x42; // Bind; its length, the portal's empty name and the format count (0) are zeros
  head.write(name, 6);
  return head;
}

/** Parse (the server infers the parameter types, as node-postgres lets it) and Describe of the statement; returns the end. */
function writeParseDescribe(out: Buffer, name: string, sql: string): number {
  let o = 0;
  out[o++] = 0x50; // Parse
  const lengthAt = o;
  o += 4;
  o += out.write(name, o);
  out[o++] = 0;
  o += out.write(sql, o);
  out[o++] = 0;
  o = out.writeInt16BE(0, o); // no parameter types
  out.writeInt32BE(o - lengthAt, lengthAt);
  out[o++] = 0x44; // Describe the statement: its column types, for decoding
  const describeAt = o;
  o += 4;
  out[o++] = 0x53;
  o += out.write(name, o);
  out[o++] = 0;
  out.writeInt32BE(o - describeAt, describeAt);
  return o;
}

/** Writes a safe integer as String(n) spells it (digits, a minus sign if negative) at o; returns the end. */
export function writeSafeInteger(buf: Buffer, n: number, o: number): number {
  if (n < 0) {
    buf[o++] = 0x2d;
    n = -n;
  }
  let end = o + 1;
  for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) end++;
  for (let k = end - 1; k >= o; k--) {
    buf[k] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  }
  return end;
}

export class LeanConnection {
  private client!: pg.Client;
  private socket!: net.Socket;
  /**
   * What was received since the current query was sent, read by the kernel straight into this
   * buffer (no copy); rows point into it. It wraps around to its start between answers and grows
   * only for an answer larger than itself.
   */
  private acc = Buffer.allocUnsafe(4 * READ_BYTES);
  private accEnd = 0;
  /** Where the current answer starts in `acc` (nothing before it is needed any more). */
  private answerStart = 0;
  /** Where the next unframed message starts in `acc`. */
  private framed = 0;
  private pending: { resolve(rows: LeanRows): void; reject(e: Error): void } | undefined;
  /** The message being sent; reused from query to query. */
  private out: Buffer = Buffer.allocUnsafe(1024);
  /** The last message sent, a view of `out` (its bytes are rewritten by every query): the next message of the same length reuses the view object. */
  private sent: Buffer = this.out.subarray(0, 0);
  /** The current query's parameters as text (or integers, written as digits); reused. */
  private readonly texts: Array<string | Buffer | number | null> = [];
  private error: Error | undefined;
  private closedBy: Error | undefined;
  private rowOffs: number[] = [];
  private rowCount = 0;
  private columnTypes: readonly number[] = [];
  private parsers: Parser[] = [];
  /** The statement being parsed by the current query, known once the server says ParseComplete. */
  private parsing: KnownStatement | undefined;
  /** A simple query's RowDescription sets the columns its rows are read with. */
  private simple = false;
  private readonly statements = new Map<string, KnownStatement>();
  /** node-postgres reads the handshake; then the lean path owns the socket. */
  private handshake = true;
  readonly rows: LeanRows;

  private constructor() {
    const self = this;
    this.rows = {
      get length() {
        return self.rowCount;
      },
      value: (i, j) => this.value(i, j),
      row: (i) => this.columnTypes.map((_, j) => this.value(i, j)),
    };
  }

  /**
   * Opens a connection with node-postgres's handshake. Without TLS the socket reads straight into
   * one buffer (net's `onread`, no stream machinery per read); with TLS the decrypted stream's data
   * events are taken over instead.
   */
  static async connect(config: pg.ClientConfig): Promise<LeanConnection> {
    const self = new LeanConnection();
    const raw = config.ssl
      ? undefined
      : new net.Socket({
          // Not in @types/node's constructor options, but net.Socket's constructor takes it (Node 12+):
          // the kernel reads into the buffer `buffer()` returns, and `callback` frames what came.
          onread: {
            buffer: () => self.nextRead(),
            callback: (n: number) => {
              if (self.handshake) raw!.emit('data', Buffer.from(self.acc.subarray(self.accEnd, self.accEnd + n))); // node-postgres keeps what it is given
              else self.received(n);
              return true;
            },
          },
        } as net.SocketConstructorOpts);
    const client = new pg.Client(raw ? { ...config, stream: () => raw } : config);
    try {
      await client.connect();
    } catch (e) {
      await client.end().catch(() => {});
      throw e;
    }
    // An idle client whose server goes away emits 'error'; without a listener that would crash the process.
    client.on('error', () => {});
    const socket = (client as unknown as { connection: { stream: net.Socket } }).connection.stream;
    self.client = client;
    self.socket = socket;
    self.handshake = false;
    if (!raw) {
      // TLS: the decrypted stream's data events, copied in.
      socket.removeAllListeners('data');
      socket.on('data', (chunk: Buffer) => {
        for (let o = 0; o < chunk.length; ) {
          const k = chunk.copy(self.nextRead(), 0, o);
          self.received(k);
          o += k;
        }
      });
    }
    const lost = (why?: Error) => self.lost(new Error(`Connection terminated unexpectedly${why ? `: ${why.message}` : ''}`));
    socket.on('close', () => lost());
    socket.on('end', () => lost());
    socket.on('error', (e: Error) => lost(e));
    return self;
  }

  /** The node-postgres client underneath (for its 'end' and 'error' events). */
  get pgClient(): pg.Client {
    return this.client;
  }

  /** How large the answer buffer has grown (it should stay near the largest answer). */
  get bufferBytes(): number {
    return this.acc.length;
  }

  /** Whether the socket is gone (the server closed it, or it broke). */
  get isClosed(): boolean {
    return this.closedBy !== undefined;
  }

  /**
   * Runs a named statement with text parameters, as drivers do with prepared statements: the first
   * time on this connection Parse and Describe go in the same write as Bind, Execute and Sync; after
   * that only Bind, Execute and Sync. Resolves when the server is ready again, with the answer in `rows`.
   * The message is written into one buffer the connection keeps (free again once the server has
   * answered, since it answers only after reading all of it), after the statement's Bind header
   * built at its first use; integer parameters are written as digits without making a string.
   */
  query(name: string, sql: string, values: readonly unknown[]): Promise<LeanRows> {
    const busy = this.unavailable();
    if (busy) return busy;
    let message: Buffer;
    try {
      message = this.bindMessage(name, sql, values);
    } catch (e) {
      this.texts.length = 0; // the values read before the one that failed are not kept
      return Promise.reject(e); // a parameter that cannot be sent (paramText): the query fails, nothing was sent
    }
    return this.roundTrip(message);
  }

  /** Parse and Describe (first use), Bind, Execute and Sync in `out`; sets what the answer is read with. */
  private bindMessage(name: string, sql: string, values: readonly unknown[]): Buffer {
    const known = this.statements.get(name);
    const statement = known ?? { name, sql, columnTypes: [], bindHead: bindHead(name), parsers: [] };
    const texts = this.texts;
    // At most this many bytes: the whole message is then written in one pass, without measuring strings.
    let bound = (known ? 0 : PARSE_DESCRIBE_FIXED_BYTES + 2 * Buffer.byteLength(name) + Buffer.byteLength(sql)) + statement.bindHead.length + 2 + BIND_TAIL.length;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      const t = typeof v === 'number' && Number.isSafeInteger(v) ? v : paramText(v);
      texts[i] = t;
      bound += 4 + (t === null ? 0 : typeof t === 'number' ? MAX_SAFE_INTEGER_CHARS : typeof t === 'string' ? MAX_UTF8_BYTES_PER_UNIT * t.length : t.length);
    }
    const out = this.outBuffer(bound);
    let o = known ? 0 : writeParseDescribe(out, name, sql);
    const bindAt = o;
    out.set(statement.bindHead, o);
    o = out.writeInt16BE(values.length, o + statement.bindHead.length);
    for (let i = 0; i < values.length; i++) {
      const t = texts[i];
      texts[i] = null; // not kept alive until the next query
      if (t === null) {
        o = out.writeInt32BE(NULL_FIELD, o);
      } else if (typeof t === 'number') {
        const end = writeSafeInteger(out, t, o + 4);
        out.writeInt32BE(end - o - 4, o);
        o = end;
      } else if (typeof t === 'string') {
        const n = out.write(t, o + 4);
        o = out.writeInt32BE(n, o) + n;
      } else {
        o = out.writeInt32BE(t.length, o);
        out.set(t, o);
        o += t.length;
      }
    }
    out.set(BIND_TAIL, o);
    out.writeInt32BE(o + RESULTS_TEXT_BYTES - bindAt - 1, bindAt + 1); // the Bind's length, known now
    o += BIND_TAIL.length;
    this.simple = false;
    this.columnTypes = statement.columnTypes;
    this.parsers = statement.parsers;
    this.parsing = known ? undefined : statement;
    if (this.sent.length !== o) this.sent = out.subarray(0, o);
    return this.sent;
  }

  /** A simple-protocol query (no parameters); the last statement's answer is read through `rows`. */
  simpleQuery(sql: string): Promise<LeanRows> {
    const busy = this.unavailable();
    if (busy) return busy;
    const len = 4 + Buffer.byteLength(sql) + 1;
    const msg = Buffer.allocUnsafe(1 + len);
    msg[0] = 0x51; // Query
    msg.writeInt32BE(len, 1);
    msg.write(sql, 5);
    msg[len] = 0;
    this.columnTypes = [];
    this.parsers = [];
    this.simple = true;
    this.parsing = undefined;
    return this.roundTrip(msg);
  }

  /** Ends the session (node-postgres sends Terminate) and closes the socket. */
  async close(): Promise<void> {
    this.closedBy ??= new Error('Connection terminated: closed by chatbench');
    await this.client.end().catch(() => {});
  }

  private lost(e: Error): void {
    if (this.closedBy) return;
    this.closedBy = e;
    const p = this.pending;
    this.pending = undefined;
    // A server that ends the session says why first (57P01 on shutdown): that is the failure.
    p?.reject(this.error ?? e);
  }

  /** Why a query cannot be sent now (as a rejected promise), or undefined when it can. */
  private unavailable(): Promise<never> | undefined {
    if (this.closedBy) return Promise.reject(this.closedBy);
    // Before anything is written into `out`: the query in progress may still be sending it.
    if (this.pending) return Promise.reject(new Error('lean connection: a query is already in progress on this connection'));
    return undefined;
  }

  /** The message buffer, with room for `bytes`. */
  private outBuffer(bytes: number): Buffer {
    if (this.out.length < bytes) {
      this.out = Buffer.allocUnsafe(Math.max(bytes, 2 * this.out.length));
      this.sent = this.out.subarray(0, 0);
    }
    return this.out;
  }

  private roundTrip(msg: Buffer): Promise<LeanRows> {
    // The next answer lands after the last one: the kernel already has the place to read into.
    this.answerStart = this.framed;
    this.rowCount = 0;
    this.error = undefined;
    return new Promise<LeanRows>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.write(msg);
    });
  }

  /**
   * Where the next read goes: the free end of `acc`. When it runs short, between answers it wraps
   * to the start (the last answer's rows stay intact: nothing more is read until the next query is
   * sent, after its after()); in the middle of an answer, the answer so far moves to the start (its
   * rows' offsets with it), and only an answer larger than the buffer makes it grow.
   */
  private nextRead(): Buffer {
    if (this.acc.length - this.accEnd < READ_BYTES) {
      if (this.framed === this.accEnd && !this.pending) {
        this.accEnd = this.framed = this.answerStart = 0;
      } else {
        const from = this.answerStart;
        const target = this.accEnd - from + READ_BYTES > this.acc.length ? Buffer.allocUnsafe(2 * (this.accEnd - from + READ_BYTES)) : this.acc;
        this.acc.copy(target, 0, from, this.accEnd);
        this.acc = target;
        for (let i = 0; i < this.rowCount; i++) this.rowOffs[i] -= from;
        this.accEnd -= from;
        this.framed -= from;
        this.answerStart = 0;
      }
    }
    return this.acc.subarray(this.accEnd);
  }

  /** n more bytes landed at the end of `acc`: handles every complete message. */
  private received(n: number): void {
    this.accEnd += n;
    const buf = this.acc;
    let o = this.framed;
    while (o + 5 <= this.accEnd) {
      const next = o + 1 + buf.readInt32BE(o + 1);
      if (next > this.accEnd) break;
      this.message(buf[o], buf, o + 5, next);
      o = next;
    }
    this.framed = o;
  }

  private message(type: number, buf: Buffer, start: number, end: number): void {
    switch (type) {
      case 0x44: // DataRow: remember where it is
        this.rowOffs[this.rowCount++] = start;
        return;
      case 0x5a: {
        // ReadyForQuery: the answer is complete
        const p = this.pending;
        this.pending = undefined;
        if (!p) return;
        if (this.error) p.reject(this.error);
        else p.resolve(this.rows);
        return;
      }
      case 0x45: // ErrorResponse (ReadyForQuery follows it)
        this.error ??= errorFrom(buf, start, end);
        return;
      case 0x54: {
        // RowDescription, of a Describe or of a simple query: the column types
        const n = buf.readInt16BE(start);
        const types: number[] = [];
        let o = start + 2;
        for (let k = 0; k < n; k++) {
          o = buf.indexOf(0, o) + 1; // the column's name
          types.push(buf.readInt32BE(o + 6)); // table oid (4), column number (2), then the type oid
          o += 18;
        }
        if (this.simple) {
          this.columnTypes = types;
          this.parsers = [];
          this.rowCount = 0; // several statements: the last one's rows are the answer
        } else if (this.parsing) {
          (this.parsing.columnTypes as number[]).push(...types);
        }
        return;
      }
      case 0x31: // ParseComplete: the statement now exists on the server, whatever happens next
        if (this.parsing) this.statements.set(this.parsing.name, this.parsing);
        return;
      default:
        // BindComplete, CommandComplete, NoData, ParameterDescription, notices,
        // parameter status, notifications: nothing a caller reads.
        return;
    }
  }

  private value(i: number, j: number): unknown {
    if (i < 0 || i >= this.rowCount) return undefined;
    const buf = this.acc;
    let o = this.rowOffs[i];
    if (j < 0 || j >= buf.readInt16BE(o)) return undefined;
    o += 2;
    for (let k = 0; k < j; k++) {
      const len = buf.readInt32BE(o);
      o += 4 + (len === NULL_FIELD ? 0 : len);
    }
    const len = buf.readInt32BE(o);
    if (len === NULL_FIELD) return null;
    const parse = (this.parsers[j] ??= chatbenchTypes.getTypeParser(this.columnTypes[j] ?? 25, 'text') as Parser);
    return parse(buf.toString('utf8', o + 4, o + 4 + len));
  }
}
