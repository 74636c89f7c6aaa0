import { systemClock, type Clock } from '../util/time.js';

/** The span Cloudflare counts its limit over (docs/radar-api.md: 1200 requests per 5 minutes). */
export const RATE_WINDOW_MS = 5 * 60_000;

/**
 * How much longer than the span a start is counted: Radar counts requests as they arrive, by its own
 * clock, so a request we start 1 ms after the oldest left our span can land inside Radar's (latency,
 * a skewed clock): 303 in one of its spans at a limit of 300, and everything locked out for 5 minutes,
 * three times in one test. Counting each start for the span plus 10 s (3.3 %) leaves that much room
 * for latency and skew, at a cost of at most 3.3 % of the throughput at the limit.
 */
export const RATE_SPAN_MARGIN = 1 / 30;

/** The requests of earlier processes, and where this one's go (state/requestJournal.ts). */
export interface LimiterJournal {
  readonly startsMs: readonly number[];
  readonly pausedUntilMs: number;
  recordStart(wallMs: number): void;
  recordPause(untilWallMs: number): void;
}

/** `Ratelimit: "default";r=<remaining>;t=<seconds to reset>` (docs/radar-api.md), or undefined. */
export function parseRatelimitHeader(
  value: string | string[] | undefined,
): { remaining: number; resetMs: number } | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  const remaining = /(?:^|;)\s*r=(\d+)/.exec(text)?.[1];
  const reset = /(?:^|;)\s*t=(\d+)/.exec(text)?.[1];
  if (remaining === undefined || reset === undefined) return undefined;
  return { remaining: Number(remaining), resetMs: Number(reset) * 1000 };
}

/** Why requests wait, and until when (wall time, for people). */
export interface LimiterWait {
  reason: 'throttled' | 'rate limit';
  untilMs: number;
}

/**
 * The one gate every Radar request passes, shared by all jobs: at most `limit` request starts in any
 * span (5 minutes, plus the margin above), at most `concurrency` in flight, and nothing at all while
 * paused after a 429 (Cloudflare blocks every call for the rest of its lock-out, so hammering it only
 * extends the pain). Waiters are served in arrival order. Spans and pauses are measured on the
 * monotonic clock: a wall-clock step neither stalls nor releases them.
 */
export class RateLimiter {
  /** Start times, monotonic. */
  private readonly starts: number[] = [];
  private inFlight = 0;
  /** Monotonic. */
  private pausedUntilMs = 0;
  private readonly waiters: { start: () => void; cancel: (reason: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly countedMs: number;
  requestsStarted = 0;

  /** Radar's own count (its `Ratelimit` header): starts allowed until `untilMs` (monotonic), counted from `fromStarted`. */
  private quota: { remaining: number; fromStarted: number; untilMs: number } | undefined;

  constructor(
    private readonly limit: number,
    private readonly concurrency: number,
    private readonly clock: Clock = systemClock,
    spanMs = RATE_WINDOW_MS,
    /** Where the requests of earlier processes are kept, and this one's go (state/requestJournal.ts). */
    private readonly journal?: LimiterJournal,
  ) {
    this.countedMs = Math.round(spanMs * (1 + RATE_SPAN_MARGIN));
    if (journal) {
      // The wall times of an earlier process, as monotonic times of this one.
      const offset = clock.monotonicMs() - clock.nowMs();
      this.starts.push(...journal.startsMs.map((ms) => ms + offset));
      if (journal.pausedUntilMs > 0) this.pausedUntilMs = journal.pausedUntilMs + offset;
    }
  }

  /**
   * What Radar says of the user's quota (`Ratelimit: "default";r=<remaining>;t=<seconds>`), which
   * other clients of the same user spend too: when it leaves fewer requests than our own count, no
   * more than that many start until it resets.
   */
  observeQuota(quota: { remaining: number; resetMs: number } | undefined): void {
    if (!quota) return;
    this.quota = {
      remaining: quota.remaining,
      fromStarted: this.requestsStarted,
      untilMs: this.clock.monotonicMs() + quota.resetMs,
    };
    this.pump();
  }

  /** Resolves when a request may start (call release() when it ends); rejects if `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const waiter = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        cancel: reject,
      };
      const onAbort = (): void => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(signal?.reason);
        this.pump();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.pump();
    });
  }

  release(): void {
    this.inFlight--;
    this.pump();
  }

  /** Holds every request for `ms` from now (later pauses extend, earlier ones never shorten). */
  pauseFor(ms: number): void {
    this.pausedUntilMs = Math.max(this.pausedUntilMs, this.clock.monotonicMs() + ms);
    this.journal?.recordPause(this.clock.nowMs() + ms);
    this.pump();
  }

  get pausedMs(): number {
    return Math.max(0, this.pausedUntilMs - this.clock.monotonicMs());
  }

  /** What requests are waiting for, when they wait for time (not for a slot in flight). */
  get waiting(): LimiterWait | undefined {
    if (this.waiters.length === 0) return undefined;
    const now = this.clock.monotonicMs();
    const waitMs = this.waitMs(now);
    if (waitMs === 0 || !Number.isFinite(waitMs)) return undefined;
    return {
      reason: now < this.pausedUntilMs ? 'throttled' : 'rate limit',
      untilMs: this.clock.nowMs() + waitMs,
    };
  }

  private pump(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.waiters.length > 0) {
      const now = this.clock.monotonicMs();
      const waitMs = this.waitMs(now);
      if (waitMs === 0) {
        this.inFlight++;
        this.requestsStarted++;
        this.starts.push(now);
        this.journal?.recordStart(this.clock.nowMs());
        this.waiters.shift()!.start();
        continue;
      }
      // Blocked by concurrency: release() pumps again. Blocked by time: wake up when it passes.
      if (Number.isFinite(waitMs)) this.timer = setTimeout(() => this.pump(), waitMs);
      return;
    }
  }

  private waitMs(now: number): number {
    while (this.starts.length > 0 && this.starts[0]! <= now - this.countedMs) this.starts.shift();
    if (now < this.pausedUntilMs) return this.pausedUntilMs - now;
    // The oldest start stops counting once it is more than countedMs old: 1 ms past that.
    if (this.starts.length >= this.limit) return this.starts[0]! + this.countedMs - now + 1;
    const quota = this.quota;
    if (quota && now < quota.untilMs && this.requestsStarted - quota.fromStarted >= quota.remaining)
      return quota.untilMs - now;
    if (this.inFlight >= this.concurrency) return Infinity;
    return 0;
  }
}
