// SQLSTATE codes and classes, and the conversion of driver errors into our DatabaseError.
// Results count failures by SQLSTATE; reports show the condition names next to the codes.
import { DatabaseError } from '../errors.ts';

const CONDITIONS: Record<string, string> = {
  '08000': 'connection_exception',
  '08001': 'sqlclient_unable_to_establish_sqlconnection',
  '08006': 'connection_failure',
  '08P01': 'protocol_violation',
  '22001': 'string_data_right_truncation',
  '22P02': 'invalid_text_representation',
  '23502': 'not_null_violation',
  '23503': 'foreign_key_violation',
  '23505': 'unique_violation',
  '23514': 'check_violation',
  '25P02': 'in_failed_sql_transaction',
  '28P01': 'invalid_password',
  '3D000': 'invalid_catalog_name',
  '3F000': 'invalid_schema_name',
  '40001': 'serialization_failure',
  '40P01': 'deadlock_detected',
  '42501': 'insufficient_privilege',
  '42601': 'syntax_error',
  '42703': 'undefined_column',
  '42704': 'undefined_object',
  '42710': 'duplicate_object',
  '42P01': 'undefined_table',
  '42P04': 'duplicate_database',
  '42P06': 'duplicate_schema',
  '42P07': 'duplicate_table',
  '53100': 'disk_full',
  '53200': 'out_of_memory',
  '53300': 'too_many_connections',
  '55P03': 'lock_not_available',
  '57014': 'query_canceled',
  '57P01': 'admin_shutdown',
  '57P02': 'crash_shutdown',
  '57P03': 'cannot_connect_now',
};

const CLASSES: Record<string, string> = {
  '08': 'connection exception',
  '22': 'data exception',
  '23': 'integrity constraint violation',
  '25': 'invalid transaction state',
  '28': 'invalid authorization',
  '40': 'transaction rollback',
  '42': 'syntax error or access rule violation',
  '53': 'insufficient resources',
  '54': 'program limit exceeded',
  '55': 'object not in prerequisite state',
  '57': 'operator intervention',
  '58': 'system error',
  XX: 'internal error',
};

/** "40P01" -> "deadlock_detected"; unknown codes get their class name. */
export function sqlstateName(code: string): string {
  return CONDITIONS[code] ?? CLASSES[code.slice(0, 2)] ?? 'unknown';
}

/** What to do about a server error, for the conditions a user can fix with a setting or a flag. */
export function adviceFor(code: string): string | undefined {
  switch (code) {
    case '53300':
      return 'the server has no connection slot left: lower --connections (or --concurrency), or raise max_connections in postgresql.conf and restart the server (the embedded server allows 200)';
    case '53100':
      return "the server's disk is full: free space on the volume holding its data directory, or seed fewer --messages; what was committed stays, and the same command resumes";
    case '53200':
      return 'the server ran out of memory: lower --connections, or work_mem and shared_buffers on the server';
    case '57P03':
      return 'the server is starting up, shutting down or recovering: run the command again in a moment';
    case '57014':
      return 'the statement was cancelled by statement_timeout: raise --op-timeout, or the statement_timeout set for this user or database';
    case '28P01':
      return "the password was refused: check the URL's password, PGPASSWORD or the passfile";
    case '42501':
      return 'the user lacks a privilege: chatbench needs to create schemas in this database (CREATE on the database)';
    default:
      return undefined;
  }
}

/**
 * Client-side failures with no SQLSTATE of their own are counted under this pseudo code; a broken
 * connection is not one of them: it gets 08001 or 08006, like libpq (scenario/connections.ts).
 */
export const CLIENT_ERROR_CODES = {
  other: 'CB999',
} as const;

interface PgErrorLike {
  message?: string;
  code?: string;
  detail?: string;
  hint?: string;
  where?: string;
}

/** node-postgres's words for a connection that died under it (it gives them no SQLSTATE). */
export function lostConnection(message: string): boolean {
  return /Connection terminated|ECONNRESET|EPIPE|not queryable|Client has encountered a connection error/i.test(message);
}

/** A node-postgres error (which keeps SQLSTATE, detail and hint) as our DatabaseError, with some context. */
export function toDatabaseError(e: unknown, context: string): DatabaseError {
  if (e instanceof DatabaseError) return e;
  const err = (e ?? {}) as PgErrorLike;
  // Node's own socket errors (EPIPE, a syscall's) are not SQLSTATEs, even when they look like one.
  const system = typeof (e as { syscall?: unknown } | null)?.syscall === 'string';
  const code = !system && typeof err.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code) ? err.code : undefined;
  const message = err.message || String(e);
  if (!code && lostConnection(message)) {
    return new DatabaseError(`${context}: lost the connection to the server, which stopped, restarted or crashed (${message})`, { cause: e, code: '08006' });
  }
  return new DatabaseError(`${context}: ${message}`, { cause: e, code, detail: err.detail, hint: err.hint });
}
