import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { RateLimiter, RATE_WINDOW_MS } from '../../../src/radar/limiter.js';
import { parseRetryAfterMs } from '../../../src/radar/client.js';

describe('RateLimiter', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    jest.useRealTimers();
  });
  const clock = { nowMs: () => Date.now() };

  async function startedAfter(limiter: RateLimiter, ms: number): Promise<number> {
    await jest.advanceTimersByTimeAsync(ms);
    return limiter.requestsStarted;
  }

  test('never starts more than the limit in any 5-minute span', async () => {
    const limiter = new RateLimiter(3, 10, clock);
    for (let i = 0; i < 5; i++) void limiter.acquire().then(() => limiter.release());
    expect(await startedAfter(limiter, 0)).toBe(3);
    expect(await startedAfter(limiter, RATE_WINDOW_MS - 10)).toBe(3);
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
    limiter.pauseUntil(Date.now() + 2000);
    limiter.pauseUntil(Date.now() + 500);
    void limiter.acquire();
    void limiter.acquire();
    expect(await startedAfter(limiter, 1999)).toBe(0);
    expect(await startedAfter(limiter, 1)).toBe(2);
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
