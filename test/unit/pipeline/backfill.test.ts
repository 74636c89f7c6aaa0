import { describe, expect, test } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeQuery } from '../../fixtures/query.js';
import { NOTHING_WRITTEN } from '../../../src/sink/outcome.js';
import {
  advanceCursor,
  backfillPlanSummary,
  mergeFinalRange,
  planBackfill,
} from '../../../src/pipeline/backfill.js';
import { StateStore } from '../../../src/state/store.js';
import { definitionOf } from '../../../src/pipeline/definition.js';

const W = 7 * 86_400_000;
const query = (id: string) =>
  makeQuery({ id, job: id, series: [{ name: id, filters: {} }], windowMs: W, lookbackMs: W });
const store = () => StateStore.open(mkdtempSync(join(tmpdir(), 'bf-')));

describe('planBackfill', () => {
  test('one window per grid window, skipping the final range unless --refetch', async () => {
    const s = store();
    await s.setQuery('a', { finalFromMs: 2 * W, checkpointMs: 4 * W }, definitionOf(query('a')));
    const plan = planBackfill([query('a'), query('b')], 0, 6 * W, s, false);
    expect(plan.items[0]!.windows.map((w) => w.startMs / W)).toEqual([0, 1, 4, 5]);
    expect(plan.items[1]!.windows).toHaveLength(6);
    expect(plan).toMatchObject({ totalWindows: 10, skippedWindows: 2 });
    expect(planBackfill([query('a')], 0, 6 * W, s, true).totalWindows).toBe(6);
  });

  test('skips the windows an interrupted backfill of the query finished, whatever the new range', async () => {
    const s = store();
    await s.setBackfillCursor('a', { fromMs: 0, nextMs: 3 * W, finalUntilMs: 3 * W, refetch: false });
    const starts = (from: number, to: number, refetch = false) =>
      planBackfill([query('a')], from, to, s, refetch).items[0]!.windows.map((w) => w.startMs / W);
    expect(starts(0, 6 * W)).toEqual([3, 4, 5]);
    // "--from 365d" a little later: the range moved, the finished windows are still finished.
    expect(starts(W / 2, 7 * W)).toEqual([3, 4, 5, 6]);
    // --refetch does not trust a plain backfill's cursor.
    expect(starts(0, 6 * W, true)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  test('the summary says how many requests and how long the rate limit makes it', () => {
    expect(backfillPlanSummary(planBackfill([query('a')], 0, 6 * W, store(), false), 0, 6 * W, 600)).toMatch(
      /6 windows \(one request each\) of 1 queries; within the rate limit of 600 requests per 5 minutes$/,
    );
    const plan = planBackfill([query('a')], 0, 6 * W, store(), false);
    expect(backfillPlanSummary(plan, 0, 6 * W, 2)).toBe(
      'backfill 1970-01-01T00:00:00Z → 1970-02-12T00:00:00Z: 6 windows (one request each) of 1 queries; at 2 requests per 5 minutes that takes at least 10 min',
    );
  });
});

describe('advanceCursor', () => {
  const result = (k: number) => ({
    window: { startMs: k * W, endMs: (k + 1) * W },
    fetched: true,
    written: { ...NOTHING_WRITTEN, acknowledged: 1 },
    lastUpdatedMs: undefined,
    missingBuckets: 0,
  });

  test('carries a cursor over consecutive windows; its final run stops at the first window not final', () => {
    let cursor = advanceCursor(undefined, result(2), true, false);
    expect(cursor).toEqual({ fromMs: 2 * W, nextMs: 3 * W, finalUntilMs: 3 * W, refetch: false });
    cursor = advanceCursor(cursor, result(3), false, false);
    cursor = advanceCursor(cursor, result(4), true, false);
    expect(cursor).toEqual({ fromMs: 2 * W, nextMs: 5 * W, finalUntilMs: 3 * W, refetch: false });
  });

  test('starts afresh at a window that does not follow it (another range, or past the final range)', () => {
    const old = { fromMs: 0, nextMs: W, finalUntilMs: W, refetch: false };
    expect(advanceCursor(old, result(5), true, true)).toEqual({
      fromMs: 5 * W,
      nextMs: 6 * W,
      finalUntilMs: 6 * W,
      refetch: true,
    });
  });
});

describe('mergeFinalRange', () => {
  test('starts a range, unites touching ones, ignores a disjoint one', async () => {
    const s = store();
    await mergeFinalRange(s, query('a'), 2 * W, 4 * W);
    expect(s.query('a')).toMatchObject({ finalFromMs: 2 * W, checkpointMs: 4 * W });
    await mergeFinalRange(s, query('a'), 0, 2 * W);
    expect(s.query('a')).toMatchObject({ finalFromMs: 0, checkpointMs: 4 * W });
    await mergeFinalRange(s, query('a'), 3 * W, 6 * W);
    expect(s.query('a')).toMatchObject({ finalFromMs: 0, checkpointMs: 6 * W });
    await mergeFinalRange(s, query('a'), 8 * W, 9 * W);
    expect(s.query('a')).toMatchObject({ finalFromMs: 0, checkpointMs: 6 * W });
  });
});
