import { fetchPoint } from './fetchRecord.js';
import type { Query } from '../model/query.js';
import type { Window } from '../model/window.js';
import type { FetchResult } from '../radar/client.js';
import type { RadarRequest } from '../radar/request.js';
import { isoSeconds } from '../util/time.js';
import { requestRange } from '../windows/grid.js';
import { logContext, type PipelineDeps } from './deps.js';

/** The request for one window of a query: every series over the same range. */
export function buildRequest(query: Query, range: { startMs: number; endMs: number }): RadarRequest {
  return {
    dimension: query.dimension,
    aggInterval: query.interval,
    normalization: query.normalization,
    ...(query.limitPerGroup !== undefined ? { limitPerGroup: query.limitPerGroup } : {}),
    series: query.series.map((s) => ({
      ...(query.namedSeries ? { name: s.name } : {}),
      dateStart: isoSeconds(range.startMs),
      dateEnd: isoSeconds(range.endMs),
      filters: s.filters,
    })),
  };
}

/**
 * A window's answer from Radar, not yet written, with the range it was asked for (the whole window once
 * it has closed; the open window up to now): only that range's buckets are written from it. Undefined
 * when nothing of the window exists yet.
 */
export type FetchedWindow = (FetchResult & { range: Window }) | undefined;

/** The network half of a window: the request, with retries. Records a failed fetch before rejecting. */
export async function fetchResponse(
  query: Query,
  window: Window,
  deps: PipelineDeps,
  stop?: AbortSignal,
): Promise<FetchedWindow> {
  const range = requestRange(window, deps.clock.nowMs());
  if (!range) return undefined;
  const startedMs = deps.clock.monotonicMs();
  const tally = { attempts: 0 };
  try {
    const result = await deps.client.fetch(
      buildRequest(query, range),
      logContext(query, window),
      stop,
      tally,
    );
    return { ...result, range: { startMs: range.startMs, endMs: range.endMs } };
  } catch (error) {
    // Given up for a shutdown: no request failed, nothing to record.
    if (stop?.aborted) throw error;
    recordFailedFetch(query, window, tally.attempts, Math.round(deps.clock.monotonicMs() - startedMs), deps);
    throw error;
  }
}

/**
 * A failed request still leaves its trace for the pipeline dashboard, if the database takes it: in
 * the background (the failure is not held up by a full spool), one at a time, a failure logged once.
 */
function recordFailedFetch(
  query: Query,
  window: Window,
  attempts: number,
  durationMs: number,
  deps: PipelineDeps,
): void {
  const point = fetchPoint({
    query,
    window,
    outcome: 'failed',
    attempts,
    durationMs,
    points: 0,
    confidenceLevel: undefined,
    lastUpdatedMs: undefined,
    timeMs: deps.recordTimes.nextMs(),
  });
  deps.failureRecords.write([point]);
}
