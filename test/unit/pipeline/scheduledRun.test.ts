import { describe, expect, test } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { windowsDue } from '../../../src/pipeline/scheduledRun.js';
import { StateStore } from '../../../src/state/store.js';
import { makeQuery } from '../../fixtures/query.js';

const DAY = 86_400_000;
const MONDAY = 4 * DAY; // 1970-01-05

describe('windowsDue', () => {
  test("a new weekly query's windows lie on the Monday grid of 364-day windows, the first one whole", () => {
    const store = StateStore.open(mkdtempSync(join(tmpdir(), 'due-')));
    const weekly = makeQuery({ id: 'w/AS/1w', interval: '1w', windowMs: 364 * DAY, lookbackMs: 400 * DAY });
    const now = Date.parse('2026-12-07T12:00:00Z');
    const windows = windowsDue(weekly, store, now);
    for (const w of windows) {
      expect((w.startMs - MONDAY) % (364 * DAY)).toBe(0);
      expect(w.endMs - w.startMs).toBe(364 * DAY);
    }
    expect(windows[0]!.startMs).toBeLessThanOrEqual(now - 400 * DAY);
    void store.close();
  });
});
