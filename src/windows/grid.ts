import type { Window } from '../model/window.js';

/**
 * Windows on a fixed UTC grid: window k of length L covers [k·L, (k+1)·L) counted from the Unix epoch.
 * A timestamp therefore always falls in the same window, whoever asks and whenever, so a closed
 * window's response (and its MIN0_MAX values) can be fetched again and comes out the same.
 */

/** Radar floors dateStart/dateEnd to 15 minutes; asking for anything finer is pointless. */
export const DATE_QUANTUM_MS = 15 * 60_000;

export function windowStartFor(timeMs: number, windowMs: number): number {
  return Math.floor(timeMs / windowMs) * windowMs;
}

/** The grid windows that hold any instant of [fromMs, toMs), oldest first. */
export function windowsCovering(fromMs: number, toMs: number, windowMs: number): Window[] {
  const windows: Window[] = [];
  for (let start = windowStartFor(fromMs, windowMs); start < toMs; start += windowMs) {
    windows.push({ startMs: start, endMs: start + windowMs });
  }
  return windows;
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
