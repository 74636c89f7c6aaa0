/**
 * The clock is injected everywhere time matters, so that tests can fix "now". Two kinds of time, never
 * mixed: wall time names buckets and windows and stamps points, and may step (NTP, a suspended VM, an
 * operator); monotonic time measures spans (rate-limit spans, backoffs, timeouts, staleness, progress)
 * and never steps, so that a wall-clock step neither stalls a wait nor fakes an age.
 */
export interface Clock {
  /** Wall time, ms since the Unix epoch. */
  nowMs(): number;
  /** Monotonic time, ms from an arbitrary origin: only differences mean anything. */
  monotonicMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now(), monotonicMs: () => performance.now() };

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
export const WEEK_MS = 7 * DAY_MS;

export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, delayMs);
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/**
 * Strictly increasing times from a clock: records written with one (the radar_fetches points of a
 * process) never share a timestamp, so none overwrites another.
 */
export class StrictlyIncreasingTimes {
  private lastMs = 0;
  constructor(private readonly clock: Clock) {}

  nextMs(): number {
    this.lastMs = Math.max(this.lastMs + 1, this.clock.nowMs());
    return this.lastMs;
  }
}

/** A length for humans: the largest unit that divides it. */
export function formatDuration(ms: number): string {
  if (ms % WEEK_MS === 0) return `${ms / WEEK_MS}w`;
  if (ms % DAY_MS === 0) return `${ms / DAY_MS}d`;
  if (ms % HOUR_MS === 0) return `${ms / HOUR_MS}h`;
  return `${ms / MINUTE_MS}m`;
}

/** A span for people, rounded: "42s", "4m40s", "3h". */
export function formatSpan(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return formatDuration(Math.round(ms / 3_600_000) * 3_600_000);
}
