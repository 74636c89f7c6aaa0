import { systemClock, type Clock } from '../util/time.js';

export const RATE_WINDOW_MS = 5 * 60_000;

/**
 * The one gate every Radar request passes, shared by all jobs: at most `limit` request starts in any
 * 5-minute span, at most `concurrency` in flight, and nothing at all while paused after a 429
 * (Cloudflare blocks every call for the rest of its lock-out, so hammering it only extends the pain).
 * Waiters are served in arrival order.
 */
export class RateLimiter {
  private readonly starts: number[] = [];
  private inFlight = 0;
  private pausedUntilMs = 0;
  private readonly waiters: { start: () => void; cancel: (reason: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  requestsStarted = 0;

  constructor(
    private readonly limit: number,
    private readonly concurrency: number,
    private readonly clock: Clock = systemClock,
  ) {}

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

  /** Holds every request until `untilMs` (later pauses extend, earlier ones never shorten). */
  pauseUntil(untilMs: number): void {
    this.pausedUntilMs = Math.max(this.pausedUntilMs, untilMs);
  }

  get pausedMs(): number {
    return Math.max(0, this.pausedUntilMs - this.clock.nowMs());
  }

  private pump(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.waiters.length > 0) {
      const waitMs = this.waitMs();
      if (waitMs === 0) {
        this.inFlight++;
        this.requestsStarted++;
        this.starts.push(this.clock.nowMs());
        this.waiters.shift()!.start();
        continue;
      }
      // Blocked by concurrency: release() pumps again. Blocked by time: wake up when it passes.
      if (Number.isFinite(waitMs)) this.timer = setTimeout(() => this.pump(), waitMs);
      return;
    }
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private waitMs(): number {
    const now = this.clock.nowMs();
    while (this.starts.length > 0 && this.starts[0]! <= now - RATE_WINDOW_MS) this.starts.shift();
    if (now < this.pausedUntilMs) return this.pausedUntilMs - now;
    // The oldest start leaves the span once it is more than RATE_WINDOW_MS old: 1 ms past that.
    if (this.starts.length >= this.limit) return this.starts[0]! + RATE_WINDOW_MS - now + 1;
    if (this.inFlight >= this.concurrency) return Infinity;
    return 0;
  }
}
