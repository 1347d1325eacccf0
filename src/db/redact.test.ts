import { describe, expect, it } from 'vitest';
import { redactUrlText, scrubSecrets } from './redact.ts';

describe('redaction', () => {
  it.each([
    ['postgres://app:s3cret@db:5432/x', 'postgres://app:***@db:5432/x'],
    ['cannot connect postgresql://a:b%40c@h/d now', 'cannot connect postgresql://a:***@h/d now'],
    ['host=h password=hunter2 user=u', 'host=h password=*** user=u'],
    ['postgres://app@db/x', 'postgres://app@db/x'],
  ])('%s', (input, out) => expect(redactUrlText(input)).toBe(out));
  it('scrubs a known secret anywhere', () => {
    expect(scrubSecrets('auth failed for hunter2!', ['hunter2'])).toBe('auth failed for ***!');
  });
});
