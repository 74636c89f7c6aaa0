import { DAY_MS } from '../util/time.js';
import { isFinal } from '../windows/grid.js';
import type { Window } from '../model/window.js';
import { INTERVAL_MS, type AggInterval } from '../model/vocabulary.js';

/**
 * How long after its end an incomplete window (Radar's answer lacks buckets its lastUpdated says
 * exist) is fetched again. Radar fills late buckets within hours; past this, the gap is Radar's own
 * and stays (logged and counted each time), so that a period before Radar has data, or a bucket it
 * never recorded, does not hold a query's checkpoint back for ever.
 */
export const INCOMPLETE_RETRY_MS = 2 * DAY_MS;

/** Whether a written window is final: closed, settled by Radar's lastUpdated, and complete (or too old to wait for). */
export function isWindowFinal(
  result: { window: Window; lastUpdatedMs: number | undefined; missingBuckets: number },
  nowMs: number,
  settleMs: number,
): boolean {
  if (!isFinal(result.window, nowMs, result.lastUpdatedMs, settleMs)) return false;
  return result.missingBuckets === 0 || result.window.endMs + INCOMPLETE_RETRY_MS <= nowMs;
}

/**
 * How many complete buckets of [startMs, endMs) Radar's data should hold: those that end by
 * `meta.lastUpdated` (the newest bucket may still be filling). Weekly buckets allow one less, their
 * weekday being unknown (see checkAnswer).
 */
export function expectedBuckets(
  aggInterval: AggInterval,
  startMs: number,
  endMs: number,
  lastUpdatedMs: number | undefined,
): number {
  const intervalMs = INTERVAL_MS[aggInterval];
  const coveredMs = Math.min(endMs, lastUpdatedMs ?? endMs) - startMs;
  const buckets = Math.max(0, Math.floor(coveredMs / intervalMs));
  return aggInterval === '1w' ? Math.max(0, buckets - 1) : buckets;
}
