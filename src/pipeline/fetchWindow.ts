import type { Query } from '../model/query.js';
import { formatDuration } from '../util/time.js';
import { expectedBuckets } from '../radar/answerCheck.js';
import { INCOMPLETE_RETRY_MS } from './finality.js';
import { ServiceError } from '../errors.js';
import {
  fetchPoint,
  flattenAnnotations,
  flattenTraffic,
  groupPoints,
  MEASUREMENT,
  type TrafficGroup,
} from '../flatten/flatten.js';
import { appendSeriesLines, LineProtocolError, toLine, type Point } from '../flatten/lineProtocol.js';
import type { Logger } from '../log.js';
import type { DeadLetters } from '../sink/deadLetters.js';
import type { FetchResult, RadarClient } from '../radar/client.js';
import type { RadarRequest } from '../radar/request.js';
import type { PointSink } from '../sink/sink.js';
import { isoSeconds, type Clock, type StrictlyIncreasingTimes } from '../util/time.js';
import { requestRange } from '../windows/grid.js';
import type { Window } from '../model/window.js';

export interface PipelineDeps {
  client: RadarClient;
  sink: PointSink;
  logger: Logger;
  clock: Clock;
  /** Times of the radar_fetches records: two never share one (they would overwrite each other). */
  recordTimes: StrictlyIncreasingTimes;
  /** Told of every window written or failed (metrics). */
  observer?: WindowObserver;
  /** Where points that line protocol cannot carry are kept; absent for --dry-run (logged only). */
  deadLetters?: DeadLetters;
  /** Windows of one query fetched and written at once (catch-up and backfill); the rate limiter still rules. */
  windowsInParallel?: number;
}

export interface WindowObserver {
  windowDone(result: WindowResult): void;
  windowFailed(): void;
  windowIncomplete(): void;
}

export interface WindowResult {
  window: Window;
  /** False when nothing of the window exists yet (it opens after the last 15-minute mark). */
  fetched: boolean;
  points: number;
  /** Points line protocol cannot carry (see escapeKey); logged, never written. */
  rejected: number;
  /** Radar's `meta.lastUpdated`: how far its data reaches. */
  lastUpdatedMs: number | undefined;
  /** Buckets a closed window's answer lacks: such a window is not final yet (see finality.ts). */
  missingBuckets: number;
}

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

export function logContext(query: Query, window: Window): Record<string, string> {
  return {
    job: query.job,
    dimension: query.dimension,
    interval: query.interval,
    window: `${isoSeconds(window.startMs)}/${isoSeconds(window.endMs)}`,
  };
}

/** A window's answer from Radar, not yet written; undefined when nothing of the window exists yet. */
export type FetchedWindow = FetchResult | undefined;

/** The network half of a window: the request, with retries. Records a failed fetch before rejecting. */
export async function fetchResponse(
  query: Query,
  window: Window,
  deps: PipelineDeps,
  stop?: AbortSignal,
): Promise<FetchedWindow> {
  const range = requestRange(window, deps.clock.nowMs());
  if (!range) return undefined;
  const startedMs = deps.clock.nowMs();
  try {
    return await deps.client.fetch(buildRequest(query, range), logContext(query, window), stop);
  } catch (error) {
    // Given up for a shutdown: no request failed, nothing to record.
    if (stop?.aborted) throw error;
    const attempts = error instanceof ServiceError ? (error.attempts ?? 1) : 1;
    await recordFailedFetch(query, window, attempts, deps.clock.nowMs() - startedMs, deps);
    throw error;
  }
}

/**
 * The writing half: flattens the answer and writes it with its annotations and its `radar_fetches`
 * point. Resolves only once the sink acknowledged (or spooled) the points.
 */
export async function writeWindow(
  query: Query,
  window: Window,
  fetched: FetchedWindow,
  deps: PipelineDeps,
): Promise<WindowResult> {
  if (!fetched)
    return { window, fetched: false, points: 0, rejected: 0, lastUpdatedMs: undefined, missingBuckets: 0 };
  const context = logContext(query, window);
  const { response, attempts, durationMs } = fetched;
  const traffic = flattenTraffic(query, window, response);
  const missingBuckets = missingBucketsOf(query, window, fetched, deps.clock.nowMs());
  const record = fetchPoint({
    query,
    window,
    outcome: 'ok',
    attempts,
    durationMs,
    points: traffic.pointCount,
    confidenceLevel: response.meta.confidenceLevel,
    lastUpdatedMs: response.meta.lastUpdatedMs,
    missingBuckets,
    timeMs: deps.recordTimes.nextMs(),
  });
  const { lines, rejected } = serialize(
    traffic.groups,
    [...flattenAnnotations(response.meta.annotations), record],
    deps,
    context,
  );
  await deps.sink.write(lines);
  const written = traffic.pointCount - rejected.filter((p) => p.measurement === MEASUREMENT.traffic).length;
  deps.logger.debug(`wrote ${written} points`, { ...context, attempts, durationMs });
  if (missingBuckets > 0) {
    deps.observer?.windowIncomplete();
    deps.logger.warn(
      `window incomplete: Radar's answer lacks ${missingBuckets} buckets that its lastUpdated says exist; ` +
        `written, and fetched again until complete or ${formatDuration(INCOMPLETE_RETRY_MS)} past its end`,
      context,
    );
  }
  return {
    window,
    fetched: true,
    points: written,
    rejected: rejected.length,
    lastUpdatedMs: response.meta.lastUpdatedMs,
    missingBuckets,
  };
}

/** For a closed window: how many buckets Radar should have had but did not send (the fewest of any series). */
function missingBucketsOf(query: Query, window: Window, fetched: FetchResult, nowMs: number): number {
  if (window.endMs > nowMs) return 0;
  const { response } = fetched;
  const expected = expectedBuckets(query.interval, window.startMs, window.endMs, response.meta.lastUpdatedMs);
  const present = Math.min(
    ...response.series.map(
      (s) => s.timestampsMs.filter((t) => t >= window.startMs && t < window.endMs).length,
    ),
  );
  return Math.max(0, expected - present);
}

/** Line protocol for each point; the few it cannot carry go to the dead letters, logged once. */
function serialize(
  groups: readonly TrafficGroup[],
  points: readonly Point[],
  deps: PipelineDeps,
  context: Record<string, string>,
): { lines: string[]; rejected: Point[] } {
  const lines: string[] = [];
  let firstError: LineProtocolError | undefined;
  const rejected: Point[] = [];
  const reject = (refused: Point[], error: unknown): void => {
    if (!(error instanceof LineProtocolError)) throw error;
    firstError ??= error;
    rejected.push(...refused);
    deps.deadLetters?.addPoints(refused, error.message);
  };
  for (const group of groups) {
    try {
      appendSeriesLines(lines, MEASUREMENT.traffic, group.tags, 'value', group.timeTexts, group.values);
    } catch (error) {
      reject(groupPoints(group), error);
    }
  }
  for (const point of points) {
    try {
      lines.push(toLine(point));
    } catch (error) {
      reject([point], error);
    }
  }
  if (firstError) {
    const where = deps.deadLetters ? `kept in ${deps.deadLetters.file}` : 'not written';
    deps.logger.error(
      `${rejected.length} points cannot be written as line protocol (${where}); first: ${firstError.message}`,
      context,
    );
  }
  return { lines, rejected };
}

/** A failed request still leaves its trace for the pipeline dashboard, if the database takes it. */
async function recordFailedFetch(
  query: Query,
  window: Window,
  attempts: number,
  durationMs: number,
  deps: PipelineDeps,
): Promise<void> {
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
  await deps.sink.write([toLine(point)]).catch(() => undefined);
}
