import type { LimiterWait } from '../radar/limiter.js';
import { formatSpan, isoSeconds, type Clock } from '../util/time.js';

/** The longest a progress report stays silent, whatever happens (or does not). */
export const PROGRESS_SILENCE_MS = 30_000;

export interface ProgressOptions {
  /** The rate limit (one window, one request): the ETA never promises faster than it allows. */
  windowsPer5Min?: number;
  /** Off a TTY: at most one line per this many ms from ticks (default 5 s); a TTY redraws at once. */
  everyMs?: number;
  /** What requests wait for, when they wait for time (the rate limiter): said with the progress. */
  waiting?: () => LimiterWait | undefined;
  /** Where lines go instead of the stream (once: the log), with no bar. */
  write?: (line: string) => void;
}

/**
 * Progress of long work: a bar with ETA redrawn in place on a TTY, plain lines (at most one per
 * `everyMs` as windows finish) otherwise, so that logs stay readable. Never silent for longer than
 * 30 s, and never frozen while it waits: started, it looks every second whether the work waits for the
 * rate limit or a throttle pause, says so at once ("paused until 14:35:10 UTC: Radar throttled the
 * requests"), and counts the wait into the ETA. Time is monotonic (a clock step moves no ETA).
 */
export class Progress {
  private done = 0;
  private points = 0;
  private lastPrintMs: number;
  private readonly startMs: number;
  private timer: NodeJS.Timeout | undefined;
  private lastWait: string | undefined;
  private finished = false;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly clock: Clock,
    private readonly options: ProgressOptions = {},
  ) {
    this.startMs = clock.monotonicMs();
    this.lastPrintMs = this.startMs;
  }

  /** Starts looking every second: a wait is said when it begins, and nothing stays silent 30 s. */
  start(): this {
    this.timer = setInterval(() => this.look(), 1000);
    this.timer.unref();
    return this;
  }

  tick(points: number): void {
    this.done++;
    this.points += points;
    const now = this.clock.monotonicMs();
    const interval = this.out.isTTY && !this.options.write ? 100 : (this.options.everyMs ?? 5000);
    if (this.done === this.total || now - this.lastPrintMs >= interval) this.print(now);
  }

  /** Stops looking; on a TTY ends the bar's line (once, however often it is called). */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearInterval(this.timer);
    if (this.out.isTTY && !this.options.write) this.out.write('\n');
  }

  /** "12/54 windows (22%), 35210 points, ETA 1m20s; waiting for the rate limit until 14:35:10 UTC" */
  line(nowMs = this.clock.monotonicMs()): string {
    const pct = this.total === 0 ? 100 : Math.floor((this.done / this.total) * 100);
    const wait = this.options.waiting?.();
    const waitMs = wait ? Math.max(0, wait.untilMs - this.clock.nowMs()) : 0;
    const etaMs =
      this.done === 0 && !wait
        ? undefined
        : Math.max(
            this.done === 0 ? 0 : this.averageEtaMs(nowMs - this.startMs),
            this.rateLimitEtaMs(),
            waitMs,
          );
    return (
      `${this.done}/${this.total} windows (${pct}%), ${this.points} points, ETA ${etaMs === undefined ? '?' : formatSpan(etaMs)}` +
      (wait ? `; ${describeWait(wait)}` : '')
    );
  }

  /** Every second: prints when a wait begins or changes, or when 30 s passed without a line. */
  private look(): void {
    const now = this.clock.monotonicMs();
    const wait = this.options.waiting?.();
    const waitKey = wait && `${wait.reason} ${Math.round(wait.untilMs / 1000)}`;
    const changed = waitKey !== undefined && waitKey !== this.lastWait;
    this.lastWait = waitKey;
    const silence = this.out.isTTY && !this.options.write ? 1000 : PROGRESS_SILENCE_MS;
    if (changed || now - this.lastPrintMs >= silence) this.print(now);
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
    this.lastPrintMs = nowMs;
    if (this.options.write) return this.options.write(`${this.label}: ${this.line(nowMs)}`);
    if (!this.out.isTTY) {
      this.out.write(`${this.label}: ${this.line(nowMs)}\n`);
      return;
    }
    const width = 30;
    const filled = this.total === 0 ? width : Math.round((this.done / this.total) * width);
    this.out.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.line(nowMs)}\x1b[K`);
  }
}

/** "paused until 14:35:10 UTC: Radar throttled the requests", "waiting for the rate limit until …" */
export function describeWait(wait: LimiterWait): string {
  const until = isoSeconds(wait.untilMs).replace(/^.*T(.*)Z$/, '$1 UTC');
  return wait.reason === 'throttled'
    ? `paused until ${until}: Radar throttled the requests (429); every request waits`
    : `waiting for the rate limit (radar.rateLimit) until ${until}`;
}
