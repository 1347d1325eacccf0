// Escaping for everything that goes into a report: text from results (query text, plans, variant
// and scenario names, error messages) is data, never markup.

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** JSON safe inside <script type="application/json">: no "</script>", no HTML comment openers. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Markdown table cell: pipes and newlines escaped, HTML neutralised. */
export function mdCell(value: unknown): string {
  return esc(value).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
