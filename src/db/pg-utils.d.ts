// node-postgres's own conversion of a parameter to its text form (Dates in the session's local
// offset, arrays as array literals, objects as JSON), so the lean path sends what pg would.
declare module 'pg/lib/utils.js' {
  export function prepareValue(value: unknown): string | Buffer | null;
}
