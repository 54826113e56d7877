/**
 * A one-line progress bar on stderr, drawn only on a terminal and only once a
 * job has run for a couple of seconds, so quick runs and logs stay clean.
 */
export class ProgressBar {
  private readonly started = Date.now();
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly delayMs = 2000,
  ) {}

  update(done: number, label: string): void {
    if (!this.stream.isTTY) return;
    const now = Date.now();
    if (now - this.started < this.delayMs || now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const fraction = Math.min(1, done / this.total);
    const width = 24;
    const filled = Math.round(fraction * width);
    const elapsed = (now - this.started) / 1000;
    const eta = fraction > 0 ? elapsed * (1 / fraction - 1) : NaN;
    const line = `[${'='.repeat(filled)}${' '.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${label}  ${formatSeconds(elapsed)} elapsed, ETA ${formatSeconds(eta)}`;
    const columns = this.stream.columns ?? 100;
    this.stream.write(`\r${line.slice(0, columns - 1).padEnd(Math.min(columns - 1, line.length))}\x1b[K`);
    this.drawn = true;
  }

  /** Clears the line so later output starts clean. */
  finish(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
