import { formatSpan, type Clock } from '../util/time.js';

/**
 * Progress of long work: a bar with ETA redrawn in place on a TTY, plain lines (at most one per
 * `everyMs`) otherwise, so that logs stay readable.
 */
export class Progress {
  private done = 0;
  private points = 0;
  private lastPrintMs = 0;
  private readonly startMs: number;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly clock: Clock,
    private readonly options: {
      /** The rate limit (one window, one request): the ETA never promises faster than it allows. */
      windowsPer5Min?: number;
      everyMs?: number;
      /** False: only count; the caller prints line() when it wants. */
      print?: boolean;
    } = {},
  ) {
    this.startMs = clock.nowMs();
  }

  tick(points: number): void {
    this.done++;
    this.points += points;
    const now = this.clock.nowMs();
    if (this.options.print === false) return;
    const interval = this.out.isTTY ? 100 : (this.options.everyMs ?? 5000);
    if (this.done === this.total || now - this.lastPrintMs >= interval) {
      this.lastPrintMs = now;
      this.print(now);
    }
  }

  finish(): void {
    if (this.out.isTTY) this.out.write('\n');
  }

  /** "12/54 windows (22%), 35210 points, ETA 1m20s" */
  line(nowMs: number): string {
    const pct = this.total === 0 ? 100 : Math.floor((this.done / this.total) * 100);
    const elapsedMs = nowMs - this.startMs;
    const etaMs = this.done === 0 ? undefined : Math.max(this.averageEtaMs(elapsedMs), this.rateLimitEtaMs());
    return `${this.done}/${this.total} windows (${pct}%), ${this.points} points, ETA ${etaMs === undefined ? '?' : formatSpan(etaMs)}`;
  }

  /** From the pace so far: too hopeful while the first burst runs under the rate limit. */
  private averageEtaMs(elapsedMs: number): number {
    return (elapsedMs / this.done) * (this.total - this.done);
  }

  /**
   * From the rate limit's pace: the windows left beyond one burst can start no faster than the limit
   * allows. Steady, where the recent pace swings between bursts and pauses.
   */
  private rateLimitEtaMs(): number {
    const perSpan = this.options.windowsPer5Min;
    if (perSpan === undefined) return 0;
    return (Math.max(0, this.total - this.done - perSpan) / perSpan) * 5 * 60_000;
  }

  private print(nowMs: number): void {
    if (!this.out.isTTY) {
      this.out.write(`${this.label}: ${this.line(nowMs)}\n`);
      return;
    }
    const width = 30;
    const filled = this.total === 0 ? width : Math.round((this.done / this.total) * width);
    this.out.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.line(nowMs)}\x1b[K`);
  }
}
