import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { PassThrough } from 'node:stream';
import { Progress } from '../../../src/cli/progress.js';
import type { LimiterWait } from '../../../src/radar/limiter.js';
import { formatSpan as formatEta } from '../../../src/util/time.js';

function capture(isTTY: boolean) {
  const stream = Object.assign(new PassThrough(), { isTTY });
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream, text: () => text };
}

describe('Progress', () => {
  test('plain lines off a TTY, at most one per interval and always the last', () => {
    let now = 0;
    const out = capture(false);
    const progress = new Progress(
      'backfill',
      4,
      out.stream,
      { nowMs: () => now, monotonicMs: () => now },
      { everyMs: 5000 },
    );
    now = 6000;
    progress.tick(10);
    now = 7000;
    progress.tick(10);
    now = 8000;
    progress.tick(10);
    now = 9000;
    progress.tick(5);
    expect(out.text()).toBe(
      'backfill: 1/4 windows (25%), 10 points, ETA 18s\nbackfill: 4/4 windows (100%), 35 points, ETA 0s\n',
    );
  });

  test('a bar redrawn in place on a TTY', () => {
    let now = 0;
    const out = capture(true);
    const progress = new Progress('backfill', 2, out.stream, { nowMs: () => now, monotonicMs: () => now });
    now = 1000;
    progress.tick(1);
    progress.finish();
    expect(out.text()).toBe(
      `\r[${'#'.repeat(15)}${'.'.repeat(15)}] 1/2 windows (50%), 1 points, ETA 1s\x1b[K\n`,
    );
  });

  test('the ETA follows the rate limit, not the first burst: steady while windows wait for it', () => {
    let now = 0;
    const out = capture(false);
    const progress = new Progress(
      'backfill',
      40,
      out.stream,
      { nowMs: () => now, monotonicMs: () => now },
      {
        windowsPer5Min: 10,
        everyMs: 0,
      },
    );
    for (let i = 0; i < 10; i++) progress.tick(1); // the first ten go at once
    now = 300_000;
    progress.tick(1);
    const etas = out
      .text()
      .trim()
      .split('\n')
      .map((l) => /ETA (\S+)/.exec(l)![1]);
    // 30 left after the burst: 20 beyond the next span's 10, at 10 per 5 minutes: 10 minutes at least.
    expect(etas[9]).toBe('10m00s');
    expect(etas.at(-1)).toBe('13m11s'); // the pace so far, once it is the slower estimate
  });

  test('formatEta', () => {
    expect(formatEta(42_000)).toBe('42s');
    expect(formatEta(125_000)).toBe('2m05s');
    expect(formatEta(3 * 3_600_000)).toBe('3h');
  });
});

describe('Progress while requests wait for time', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: Date.parse('2026-12-01T14:00:00Z') });
  });
  afterEach(() => {
    jest.useRealTimers();
  });
  const clock = { nowMs: () => Date.now(), monotonicMs: () => Date.now() };

  test.each([false, true])(
    'held by the rate limit (TTY: %s): says what it waits for and until when, at once and at least every 30 s',
    async (isTTY) => {
      const out = capture(isTTY);
      let waiting: LimiterWait | undefined = undefined;
      const progress = new Progress('backfill', 54, out.stream, clock, {
        windowsPer5Min: 600,
        waiting: () => waiting,
      }).start();
      for (let i = 0; i < 53; i++) progress.tick(100);
      waiting = { reason: 'rate limit', untilMs: Date.now() + 280_000 };
      await jest.advanceTimersByTimeAsync(1000);
      expect(out.text()).toMatch(
        /53\/54 windows \(98%\), 5300 points, ETA 4m39s; waiting for the rate limit \(radar\.rateLimit\) until 14:04:40 UTC/,
      );
      const before = out.text().length;
      await jest.advanceTimersByTimeAsync(30_000);
      expect(out.text().length).toBeGreaterThan(before);
      expect(out.text().slice(before)).toMatch(/ETA 4m0\ds; waiting for the rate limit/);
      progress.finish();
    },
  );

  test('a throttle pause is said as such, with its end', async () => {
    const out = capture(false);
    const lines: string[] = [];
    const waiting: LimiterWait = { reason: 'throttled', untilMs: Date.now() + 300_000 };
    const progress = new Progress('once', 2, out.stream, clock, {
      everyMs: Infinity,
      waiting: () => waiting,
      write: (line) => lines.push(line),
    }).start();
    await jest.advanceTimersByTimeAsync(1000);
    expect(lines).toEqual([
      'once: 0/2 windows (0%), 0 points, ETA 4m59s; paused until 14:05:00 UTC: Radar throttled the requests (429); every request waits',
    ]);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    progress.finish();
    expect(out.text()).toBe('');
  });
});
