import { describe, expect, it } from 'vitest';
import { splitStatements } from './split.ts';

describe('splitStatements', () => {
  it('splits on semicolons outside quotes, bodies and comments, with each statement\'s line', () => {
    const sql = [
      '-- a comment; not a statement',
      'CREATE TABLE a (x text DEFAULT \'semi;colon\');',
      '',
      'CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$',
      'BEGIN RETURN 1; END;',
      '$$;',
      '/* block; comment */ CREATE INDEX "odd;name" ON a (x);',
      'SELECT 1',
    ].join('\n');
    const st = splitStatements(sql);
    expect(st.map((s) => s.line)).toEqual([1, 4, 7, 8]);
    expect(st[0].sql).toMatch(/CREATE TABLE a \(x text DEFAULT 'semi;colon'\)$/);
    expect(st[1].sql).toMatch(/^CREATE FUNCTION f\(\)[\s\S]*END;\n\$\$$/);
    expect(st[2].sql).toMatch(/CREATE INDEX "odd;name" ON a \(x\)$/);
    expect(st[3].sql).toBe('SELECT 1');
  });
  it('handles doubled quotes and tagged dollar quotes', () => {
    const st = splitStatements("SELECT 'it''s; fine'; SELECT $body$ ; $$ ; $body$; ");
    expect(st.map((s) => s.sql)).toEqual(["SELECT 'it''s; fine'", 'SELECT $body$ ; $$ ; $body$']);
  });
  it('a file of comments only has no statements', () => {
    expect(splitStatements('-- nothing here;\n/* nor; here */\n')).toEqual([]);
  });
});
