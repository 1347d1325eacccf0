import { describe, expect, it } from 'vitest';
import { classify, losesConnection } from './connections.ts';

describe('classify', () => {
  it.each<[unknown, boolean, string]>([
    [Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }), false, '57P01'],
    [Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }), false, '57014'],
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), true, '08001'],
    [new Error('connect ECONNREFUSED 127.0.0.1:5432'), false, '08001'],
    [new Error('Connection terminated unexpectedly'), false, '08006'],
    [new Error('Client was closed and is not queryable'), false, '08006'],
    [new Error('read ECONNRESET'), false, '08006'],
    [new Error('something else'), false, 'CB999'],
  ])('%s -> its SQLSTATE', (e, connecting, code) => {
    expect(classify(e, connecting).code).toBe(code);
  });
  it('a connect failure without a SQLSTATE is 08001 whatever its text', () => {
    expect(classify(new Error('timeout expired'), true).code).toBe('08001');
  });
});

describe('losesConnection', () => {
  it('class 08 and the server going away lose the connection; timeouts, deadlocks and conflicts do not', () => {
    for (const c of ['08001', '08006', '57P01', '57P02', '57P03']) expect(losesConnection(c)).toBe(true);
    for (const c of ['57014', '40P01', '40001', '23505', 'CB999']) expect(losesConnection(c)).toBe(false);
  });
});
