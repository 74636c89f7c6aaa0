import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { RateLimiter, RATE_WINDOW_MS } from '../../../src/radar/limiter.js';
import { parseRetryAfterMs } from '../../../src/radar/apiHttp.js';

describe('RateLimiter', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    jest.useRealTimers();
  });
  const clock = { nowMs: () => Date.now(), monotonicMs: () => Date.now() };

  async function startedAfter(limiter: RateLimiter, ms: number): Promise<number> {
    await jest.advanceTimersByTimeAsync(ms);
    return limiter.requestsStarted;
  }

  test('never starts more than the limit in any 5-minute span', async () => {
    const limiter = new RateLimiter(3, 10, clock);
    for (let i = 0; i < 5; i++) void limiter.acquire().then(() => limiter.release());
    expect(await startedAfter(limiter, 0)).toBe(3);
    // Each start counts for the span and its margin (RATE_SPAN_MARGIN: 10 s of 5 minutes).
    expect(await startedAfter(limiter, RATE_WINDOW_MS + 10_000 - 10)).toBe(3);
    expect(await startedAfter(limiter, 20)).toBe(5);
  });

  test('holds requests beyond the concurrency until one is released', async () => {
    const limiter = new RateLimiter(100, 2, clock);
    await limiter.acquire();
    await limiter.acquire();
    let third = false;
    void limiter.acquire().then(() => (third = true));
    await jest.advanceTimersByTimeAsync(1000);
    expect(third).toBe(false);
    limiter.release();
    await jest.advanceTimersByTimeAsync(0);
    expect(third).toBe(true);
  });

  test('a pause holds every request until it ends, and a shorter pause does not shorten it', async () => {
    const limiter = new RateLimiter(100, 10, clock);
    limiter.pauseFor(2000);
    limiter.pauseFor(500);
    void limiter.acquire();
    void limiter.acquire();
    expect(await startedAfter(limiter, 1999)).toBe(0);
    expect(await startedAfter(limiter, 1)).toBe(2);
  });
});

describe('RateLimiter against a server that counts by its own clock', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  test('requests reaching Radar up to 8 s late (latency, clock skew) never exceed the limit in any of its spans', async () => {
    const clock = { nowMs: () => Date.now(), monotonicMs: () => Date.now() };
    const limit = 30;
    const limiter = new RateLimiter(limit, 100, clock);
    // Radar's view: when each request arrives by its clock. The first span's requests arrive 8 s late
    // (a slow network, or Radar's clock 8 s behind ours), the next span's on time.
    const arrivals: number[] = [];
    for (let i = 0; i < 4 * limit; i++)
      void limiter.acquire().then(() => {
        arrivals.push(Date.now() + (i < limit ? 8_000 : 0));
        limiter.release();
      });
    await jest.advanceTimersByTimeAsync(4 * RATE_WINDOW_MS);
    expect(arrivals).toHaveLength(4 * limit);
    arrivals.sort((a, b) => a - b);
    // The most arrivals any 5-minute span of Radar's clock holds.
    let most = 0;
    for (let i = 0, j = 0; i < arrivals.length; i++) {
      while (arrivals[i]! - arrivals[j]! >= RATE_WINDOW_MS) j++;
      most = Math.max(most, i - j + 1);
    }
    expect(most).toBeLessThanOrEqual(limit);
  });

  test('a step of the wall clock neither stalls nor releases waiting requests', async () => {
    let wallStepMs = 0;
    const clock = { nowMs: () => Date.now() + wallStepMs, monotonicMs: () => performance.now() };
    const limiter = new RateLimiter(1, 10, clock);
    void limiter.acquire().then(() => limiter.release());
    let second = false;
    void limiter.acquire().then(() => (second = true));
    wallStepMs = -3_600_000;
    await jest.advanceTimersByTimeAsync(RATE_WINDOW_MS + 10_000 + 1);
    expect(second).toBe(true);
    expect(limiter.waiting).toBeUndefined();
  });
});

describe('parseRetryAfterMs', () => {
  test('reads seconds and HTTP dates, ignores garbage', () => {
    expect(parseRetryAfterMs('30')).toBe(30_000);
    expect(parseRetryAfterMs(['2.5'])).toBe(2500);
    expect(parseRetryAfterMs('Wed, 21 Oct 2026 07:28:10 GMT', Date.parse('2026-10-21T07:28:00Z'))).toBe(
      10_000,
    );
    expect(parseRetryAfterMs('soon')).toBeUndefined();
    expect(parseRetryAfterMs(undefined)).toBeUndefined();
  });
});
