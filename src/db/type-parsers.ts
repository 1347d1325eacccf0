// How chatbench's clients turn the server's text into JavaScript values: per client (never through
// pg.defaults), shared by node-postgres clients and the lean path so both read the same values.
import pg from 'pg';

const INT8_OID = 20;
const NUMERIC_OID = 1700;
/** timestamptz, timestamp, date: kept as the server's text (ISO-like, in the session time zone). */
const TIME_OIDS = new Set([1184, 1114, 1082]);

/**
 * Type parsing for our clients only (no global pg.defaults switches): BIGINT ids are snowflakes that
 * fit in 53 bits and counters fit too, so int8 becomes a number; an unsafe value throws rather than
 * silently losing precision. NUMERIC (from SUM/AVG) becomes a number as well; times stay text.
 */
export const chatbenchTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') {
      return (text: string) => {
        const n = Number(text);
        if (!Number.isSafeInteger(n)) throw new RangeError(`bigint ${text} does not fit a JavaScript number`);
        return n;
      };
    }
    if (oid === NUMERIC_OID && format !== 'binary') return (text: string) => Number(text);
    // Parsing every timestamp into a Date costs a regular expression per value and most are never
    // looked at; code that needs the time parses the string (Date.parse reads PostgreSQL's format).
    if (TIME_OIDS.has(oid) && format !== 'binary') return (text: string) => text;
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;
