// COPY text-format escaping of one value: backslash, tab, newline and carriage return. The one
// copy of it: the row writer's slow path and the generator's pre-encoded pools both use it.

/** A value as COPY's text format wants it; the same string when nothing needs escaping. */
export function copyEscape(s: string): string {
  return s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}
