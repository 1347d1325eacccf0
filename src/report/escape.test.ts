import { describe, expect, it } from 'vitest';
import { esc, jsonForScript, mdCell } from './escape.ts';

describe('escaping', () => {
  it('html', () => expect(esc(`<script>alert("x")</script>&'`)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;'));
  it('json inside a script element cannot close it', () => {
    const s = jsonForScript({ name: '</script><script>alert(1)</script>' });
    expect(s).not.toContain('</script');
    expect(JSON.parse(s).name).toBe('</script><script>alert(1)</script>');
  });
  it('markdown cells', () => expect(mdCell('a|b\nc<i>')).toBe('a\\|b c&lt;i&gt;'));
});
