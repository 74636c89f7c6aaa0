/** A time window [startMs, endMs) of the fixed UTC grid (see windows/grid.ts). */
export interface Window {
  startMs: number;
  /** Exclusive. */
  endMs: number;
}
