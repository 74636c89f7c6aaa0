import { describe, expect, test } from '@jest/globals';
import { smallerWindowMs } from '../../../src/pipeline/windowSplit.js';
import { windowRefused } from '../../../src/radar/hints.js';
import type { RadarRequest } from '../../../src/radar/request.js';

const DAY = 86_400_000;
const request = (interval: RadarRequest['aggInterval'], days: number): RadarRequest => ({
  dimension: 'PRODUCT',
  aggInterval: interval,
  series: [
    {
      dateStart: '2026-01-05T00:00:00Z',
      dateEnd: new Date(Date.parse('2026-01-05T00:00:00Z') + days * DAY).toISOString(),
    },
  ],
});

describe('windows Radar refuses', () => {
  test('a bare 400 "Internal Error" is a refusal of the size only for a window longer than the interval is known to be answered in', () => {
    expect(windowRefused(400, undefined, 'Internal Error', request('1d', 364))).toBe(true);
    expect(windowRefused(400, undefined, 'Internal Error', request('1d', 84))).toBe(false);
    expect(windowRefused(400, undefined, 'Internal Error', request('15m', 8))).toBe(true);
    expect(windowRefused(500, 2000, 'Internal Error', request('1d', 364))).toBe(false);
    expect(windowRefused(400, 2001, 'Date range too long', request('1d', 10))).toBe(true);
    expect(windowRefused(400, 2001, 'Invalid location codes', request('1d', 364))).toBe(false);
  });

  test('split: first to the longest window known to be answered, then halves in whole days (weeks for 1w), never below one', () => {
    expect(smallerWindowMs('1d', 364 * DAY)).toBe(84 * DAY);
    expect(smallerWindowMs('1d', 84 * DAY)).toBe(42 * DAY);
    expect(smallerWindowMs('15m', 3 * DAY)).toBe(1 * DAY);
    expect(smallerWindowMs('15m', 1 * DAY)).toBeUndefined();
    expect(smallerWindowMs('1w', 364 * DAY)).toBe(182 * DAY);
    expect(smallerWindowMs('1w', 21 * DAY)).toBe(7 * DAY);
    expect(smallerWindowMs('1w', 7 * DAY)).toBeUndefined();
  });
});
