// Splits a migration file into its statements, so a failure names the statement and its line.
// Knows what may hide a semicolon: quotes, quoted identifiers, dollar-quoted bodies, comments.

export interface Statement {
  sql: string;
  /** 1-based line of the statement's first character in the file. */
  line: number;
}

export function splitStatements(text: string): Statement[] {
  const out: Statement[] = [];
  let start = 0;
  let i = 0;
  const push = (end: number) => {
    const raw = text.slice(start, end);
    const lead = raw.length - raw.trimStart().length;
    const sql = raw.trim();
    // A piece holding only comments is not a statement.
    if (sql && sql.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '').trim()) {
      out.push({ sql, line: lineOf(text, start + lead) });
    }
    start = end + 1;
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '-' && text[i + 1] === '-') {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl + 1;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < text.length && !(text[j] === c && text[j + 1] !== c)) j += text[j] === c ? 2 : 1;
      i = j + 1;
    } else if (c === '$') {
      const tag = /^\$[A-Za-z_]*\$/.exec(text.slice(i, i + 64))?.[0];
      if (tag) {
        const end = text.indexOf(tag, i + tag.length);
        i = end < 0 ? text.length : end + tag.length;
      } else i++;
    } else if (c === ';') {
      push(i);
      i++;
    } else i++;
  }
  push(text.length);
  return out;
}

function lineOf(text: string, offset: number): number {
  let n = 1;
  for (let k = 0; k < offset; k++) if (text.charCodeAt(k) === 10) n++;
  return n;
}
