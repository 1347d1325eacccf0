// Progress on stderr: one redrawn line on a terminal, plain periodic lines otherwise (CI logs, pipes).
// Listens to engine events; the engines themselves never draw.

export class ProgressLine {
  private last = 0;
  private drawn = false;
  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly interactive: boolean,
    private readonly quiet: boolean,
    private readonly plainEveryMs = 5000,
  ) {}

  /** Shows a status; on a terminal at most ~10 times a second, otherwise every few seconds. */
  update(text: string, force = false): void {
    if (this.quiet) return;
    const now = Date.now();
    if (this.interactive) {
      if (!force && now - this.last < 100) return;
      this.last = now;
      const width = this.stream.columns || 100;
      this.stream.write(`\r${text.slice(0, width - 1).padEnd(Math.min(width - 1, text.length + 2))}`);
      this.drawn = true;
    } else if (force || now - this.last >= this.plainEveryMs) {
      this.last = now;
      this.stream.write(`${text}\n`);
    }
  }

  /** A line that stays (a finished step), clearing the redrawn status first. */
  log(text: string): void {
    if (this.quiet) return;
    this.clear();
    this.stream.write(`${text}\n`);
  }

  clear(): void {
    if (this.drawn && this.interactive) {
      this.stream.write(`\r${' '.repeat(Math.max(0, (this.stream.columns || 100) - 1))}\r`);
      this.drawn = false;
    }
  }
}
