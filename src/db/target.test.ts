import { describe, expect, it } from 'vitest';
import { paramsFromUrl } from './target.ts';

describe('paramsFromUrl reads libpq URLs', () => {
  it('decodes user, password and database, and keeps the other parameters for libpq tools', () => {
    const p = paramsFromUrl(new URL('postgres://app:s%40cret@db.example:5433/my%20db?sslmode=require&options=-cfoo%3Dbar'));
    expect({ ...p, query: p.query.toString() }).toEqual({ host: 'db.example', port: 5433, user: 'app', database: 'my db', query: 'sslmode=require&options=-cfoo%3Dbar' });
    expect(p.password).toBe('s@cret');
  });
  it('takes user, password and dbname from the query, [IPv6] hosts without brackets, and never enumerates the password', () => {
    const p = paramsFromUrl(new URL('postgresql://[::1]/?dbname=chat&user=bob&password=pw'));
    expect([p.host, p.port, p.user, p.database, p.password, p.query.toString()]).toEqual(['::1', 5432, 'bob', 'chat', 'pw', '']);
    expect(JSON.stringify(p)).not.toContain('pw');
  });
});
