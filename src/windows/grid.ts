import type { Window } from '../model/window.js';
import { INTERVAL_MS, type AggInterval } from '../model/vocabulary.js';

/**
 * Windows on a fixed UTC grid: window k of length L covers [k·L, (k+1)·L) counted from the Unix epoch.
 * A timestamp therefore always falls in the same window, whoever asks and whenever, so a closed
 * window's response (and its MIN0_MAX values) can be fetched again and comes out the same.
 */

/** Radar floors dateStart/dateEnd to 15 minutes; asking for anything finer is pointless. */
export const DATE_QUANTUM_MS = 15 * 60_000;

/**
 * Radar's weeks start on Mondays at 00:00 UTC (real weekly answers, docs/radar-api.md): weekly
 * buckets, and the grid of 1w windows, are counted from the first Monday after the epoch
 * (1970-01-05), so that every weekly bucket lies whole inside one window. Other intervals count from
 * the epoch itself.
 */
export const MONDAY_ORIGIN_MS = 4 * 86_400_000;

/** Where the grid of an interval's buckets and windows is counted from. */
export function gridOriginMs(interval: AggInterval): number {
  return interval === '1w' ? MONDAY_ORIGIN_MS : 0;
}

/** The start of the bucket of `interval` that holds `timeMs` (for 1w, the Monday that starts its week). */
export function bucketStartFor(timeMs: number, interval: AggInterval): number {
  return windowStartFor(timeMs, INTERVAL_MS[interval], gridOriginMs(interval));
}

/** The bucket boundary at or after `timeMs`. */
export function bucketEndFor(timeMs: number, interval: AggInterval): number {
  const start = bucketStartFor(timeMs, interval);
  return start === timeMs ? start : start + INTERVAL_MS[interval];
}

export function windowStartFor(timeMs: number, windowMs: number, originMs = 0): number {
  return originMs + Math.floor((timeMs - originMs) / windowMs) * windowMs;
}

/** The grid windows that hold any instant of [fromMs, toMs), oldest first. */
export function windowsCovering(fromMs: number, toMs: number, windowMs: number, originMs = 0): Window[] {
  const windows: Window[] = [];
  for (let start = windowStartFor(fromMs, windowMs, originMs); start < toMs; start += windowMs) {
    windows.push({ startMs: start, endMs: start + windowMs });
  }
  return windows;
}

/**
 * The windows from `fromMs` up to `toMs`, the first starting at `fromMs` itself: a checkpoint that is
 * not on the grid (the grid changed under it: `windows:` was edited) starts a shortened first window
 * up to the next grid line, so nothing before it is fetched again and nothing after it is skipped.
 */
export function windowsFrom(fromMs: number, toMs: number, windowMs: number, originMs = 0): Window[] {
  const windows = windowsCovering(fromMs, toMs, windowMs, originMs);
  if (windows[0] && windows[0].startMs < fromMs) windows[0] = { startMs: fromMs, endMs: windows[0].endMs };
  return windows;
}

/**
 * What of `window` is still to fetch when `done` (a range already fetched) is taken away: nothing when
 * `done` holds all of it; the part before or after `done` when `done` covers one end of it (the range
 * was made on another grid); the whole window when `done` lies strictly inside it, because one request
 * for the window costs less than two for the pieces on either side.
 */
export function withoutRange(window: Window, done: { fromMs: number; toMs: number }): Window | undefined {
  const { startMs, endMs } = window;
  if (done.toMs <= startMs || done.fromMs >= endMs) return window; // disjoint
  if (done.fromMs <= startMs && done.toMs >= endMs) return undefined; // all of it
  if (done.fromMs <= startMs) return { startMs: done.toMs, endMs };
  if (done.toMs >= endMs) return { startMs, endMs: done.fromMs };
  return window;
}

/**
 * What to ask Radar for a window: all of it once it has closed; for the open window, up to now
 * (floored to Radar's 15 minutes). Undefined when nothing of the window exists yet.
 */
export function requestRange(window: Window, nowMs: number): { startMs: number; endMs: number } | undefined {
  const endMs = Math.min(window.endMs, Math.floor(nowMs / DATE_QUANTUM_MS) * DATE_QUANTUM_MS);
  return endMs > window.startMs ? { startMs: window.startMs, endMs } : undefined;
}

/**
 * A window is final once it has closed and Radar's data (`meta.lastUpdated`, or the clock when Radar
 * does not say) reaches past its end by the settle margin: later fetches would give the same values.
 */
export function isFinal(
  window: Window,
  nowMs: number,
  lastUpdatedMs: number | undefined,
  settleMs: number,
): boolean {
  return window.endMs <= nowMs && (lastUpdatedMs ?? nowMs) >= window.endMs + settleMs;
}
