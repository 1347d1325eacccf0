import { describe, expect, it } from 'vitest';
import { DatabaseError, UsageError } from '../errors.ts';
import { describeError, exitCodeOf, translateYargsMessage } from './app.ts';

describe('yargs messages become one-line usage errors', () => {
  it.each([
    ['Unknown argument: frobnicate', ['frobnicate'], 'unknown command "frobnicate": expected one of seed, scenario, capacity, growth, report, schema, check, db, bench, quickstart'],
    ['Unknown argument: bogus', ['seed', '--bogus'], 'unknown option --bogus: see --help for the options of this command'],
    ['Not enough non-option arguments: got 0, need at least 1', [], 'missing command: expected one of seed, scenario, capacity, growth, report, schema, check, db, bench, quickstart'],
    ['Invalid values:\n  Argument: action, Given: "nope", Choices: "status", "start"', ['db', 'nope'], 'invalid value "nope" for action: expected one of "status", "start"'],
    ['Missing required argument: variant', ['x'], 'missing --variant: see --help'],
    ['Arguments rate and concurrency are mutually exclusive', ['scenario'], '--rate and --concurrency cannot be used together'],
  ])('%s', (msg, args, out) => expect(translateYargsMessage(msg, args)).toBe(out));
});

describe('errors are one line with an exit code', () => {
  it('keeps SQLSTATE, detail and hint of server errors, on one line, without secrets', () => {
    const e = new DatabaseError('insert failed for postgres://u:pw123@h/d', { code: '23505', detail: 'Key (id)=(1)\nalready exists.', hint: 'use another id' });
    const line = describeError(e, ['pw123']);
    expect(line).toBe('insert failed for postgres://u:***@h/d (SQLSTATE 23505 unique_violation; detail: Key (id)=(1) already exists.; hint: use another id)');
    expect(exitCodeOf(e)).toBe(1);
  });
  it('usage errors exit 2; unexpected ones 1 and point at --verbose', () => {
    expect(exitCodeOf(new UsageError('x'))).toBe(2);
    expect(describeError(new TypeError('boom'), [])).toBe('internal error: boom (run with --verbose for the stack trace)');
    expect(exitCodeOf(new TypeError('boom'))).toBe(1);
  });
});
