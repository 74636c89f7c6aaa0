import { describe, expect, test } from '@jest/globals';
import {
  requestRange,
  windowsCovering,
  windowsFrom,
  windowStartFor,
  withoutRange,
} from '../../../src/windows/grid.js';

const D = 86_400_000;

describe('window grid', () => {
  test('windows sit on a fixed UTC grid from the epoch', () => {
    expect(windowStartFor(Date.parse('2026-11-27T20:10:00Z'), D)).toBe(Date.parse('2026-11-27T00:00:00Z'));
    expect(windowStartFor(7 * D + 5, 7 * D)).toBe(7 * D);
  });

  test('windowsCovering lists every window holding an instant of the range', () => {
    expect(windowsCovering(D + 5, 3 * D, D)).toEqual([
      { startMs: D, endMs: 2 * D },
      { startMs: 2 * D, endMs: 3 * D },
    ]);
    expect(windowsCovering(D, D + 1, D)).toEqual([{ startMs: D, endMs: 2 * D }]);
    expect(windowsCovering(D, D, D)).toEqual([]);
  });

  test('windowsFrom starts at an off-grid checkpoint and follows the grid from its next line', () => {
    expect(windowsFrom(8 * D, 15 * D, 7 * D)).toEqual([
      { startMs: 8 * D, endMs: 14 * D },
      { startMs: 14 * D, endMs: 21 * D },
    ]);
    expect(windowsFrom(7 * D, 8 * D, 7 * D)).toEqual([{ startMs: 7 * D, endMs: 14 * D }]);
  });

  test('withoutRange keeps what a done range leaves of a window: none, one end, or all of it', () => {
    const w = { startMs: 7 * D, endMs: 14 * D };
    expect(withoutRange(w, { fromMs: 0, toMs: 7 * D })).toBe(w);
    expect(withoutRange(w, { fromMs: 6 * D, toMs: 15 * D })).toBeUndefined();
    expect(withoutRange(w, { fromMs: 7 * D, toMs: 14 * D })).toBeUndefined();
    expect(withoutRange(w, { fromMs: 5 * D, toMs: 9 * D })).toEqual({ startMs: 9 * D, endMs: 14 * D });
    expect(withoutRange(w, { fromMs: 10 * D, toMs: 20 * D })).toEqual({ startMs: 7 * D, endMs: 10 * D });
    // Strictly inside: one request for the whole window beats two for the pieces.
    expect(withoutRange(w, { fromMs: 9 * D, toMs: 10 * D })).toBe(w);
  });

  test('a year at 1h on 7-day windows takes 53 or 54 requests, depending on the grid', () => {
    const starts = [0, 1, 2, 3, 4, 5, 6, 6.5].map((day) => day * D);
    const counts = new Set(starts.map((start) => windowsCovering(start, start + 365 * D, 7 * D).length));
    expect(counts).toEqual(new Set([53, 54]));
  });

  test('requestRange asks for a closed window whole and the open one up to the last 15 minutes', () => {
    expect(requestRange({ startMs: 0, endMs: D }, 2 * D)).toEqual({ startMs: 0, endMs: D });
    expect(requestRange({ startMs: D, endMs: 2 * D }, D + 3_600_000 + 60_000)).toEqual({
      startMs: D,
      endMs: D + 3_600_000,
    });
    expect(requestRange({ startMs: D, endMs: 2 * D }, D + 60_000)).toBeUndefined();
  });
});
