// Keeps passwords out of every message, log and file: URLs are shown with the password replaced.
// A leaf: config/ and cli/ use it too.

/** postgres://app:s3cret@db:5432/x -> postgres://app:***@db:5432/x (also for strings that do not parse). */
export function redactUrlText(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@\s]*@/gi, '$1:***@').replace(/(password=)[^&\s]*/gi, '$1***');
}

/** Replaces every occurrence of each secret in a message (for errors that echo a DSN or a password). */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = redactUrlText(text);
  for (const secret of secrets) {
    if (secret && secret.length >= 3) out = out.split(secret).join('***');
  }
  return out;
}

/** The command line as results record it: each argument redacted, quoted when it has spaces. */
export function recordedCommand(prefix: string, args: readonly string[]): string {
  const shown = args.map((a) => redactUrlText(a)).map((a) => (/[\s"'$<>|&;()*?`\\]/.test(a) ? `'${a.replaceAll("'", "'\\''")}'` : a));
  return [prefix, ...shown].join(' ').trim();
}
