import { describe, expect, test } from '@jest/globals';
import { INCOMPLETE_RETRY_MS, isWindowFinal } from '../../../src/pipeline/finality.js';

const H = 3_600_000;
const result = (missingBuckets: number) => ({
  window: { startMs: 0, endMs: 24 * H },
  fetched: true,
  points: 1,
  rejected: 0,
  lastUpdatedMs: 26 * H,
  missingBuckets,
});

describe('isWindowFinal', () => {
  test('a closed, settled, complete window is final', () => {
    expect(isWindowFinal(result(0), 26 * H, H)).toBe(true);
    expect(isWindowFinal({ ...result(0), lastUpdatedMs: 24.5 * H }, 26 * H, H)).toBe(false);
  });

  test('an incomplete one is not, until it is too old for Radar to fill', () => {
    expect(isWindowFinal(result(3), 26 * H, H)).toBe(false);
    expect(isWindowFinal(result(3), 24 * H + INCOMPLETE_RETRY_MS, H)).toBe(true);
  });
});
