import { fetchPoint, flattenAnnotations, flattenTraffic } from '../flatten/flatten.js';
import type { Query } from '../model/query.js';
import type { Window } from '../model/window.js';
import { expectedBuckets } from '../radar/answerCheck.js';
import type { FetchResult } from '../radar/client.js';
import { yieldToEventLoop } from '../util/eventLoop.js';
import { formatDuration } from '../util/time.js';
import { keptPoints, NOTHING_WRITTEN, refusedPoints } from '../sink/outcome.js';
import { logContext, type PipelineDeps, type WindowResult } from './deps.js';
import type { FetchedWindow } from './fetch.js';
import { INCOMPLETE_RETRY_MS, isWindowFinal } from './finality.js';
import { groupsOf } from './windowAnswers.js';

/**
 * The writing half: flattens the answer and writes its traffic, then its annotations and its
 * `radar_fetches` record, which says what became of the traffic (kept, refused). Resolves only once the
 * sink has kept every point (acknowledged, spooled, or refused and kept aside with its reason).
 */
export async function writeWindow(
  query: Query,
  window: Window,
  fetched: FetchedWindow,
  deps: PipelineDeps,
): Promise<WindowResult> {
  if (!fetched)
    return { window, fetched: false, written: NOTHING_WRITTEN, lastUpdatedMs: undefined, missingBuckets: 0 };
  const context = logContext(query, window);
  const { response, attempts, durationMs } = fetched;
  // Only the buckets of the range asked for: under Radar's inclusive dateEnd the answer also holds the
  // bucket that starts at its end, which the next window's own answer writes (normalized over its range).
  const traffic = flattenTraffic(query, fetched.range, response, window.endMs);
  await yieldToEventLoop(); // before encoding: see yieldToEventLoop
  const missingBuckets = missingBucketsOf(query, window, fetched, deps.clock.nowMs());
  // A window fetched before (the open one, run after run) writes only its new or changed buckets.
  const { groups, unchanged } = deps.delivered?.changedOnly(query.id, window, traffic.groups) ?? {
    groups: traffic.groups,
    unchanged: 0,
  };
  // Saved before the write: a write cut short (kill -9) leaves the window marked for the next fetch to mend.
  const change = await deps.answers?.beforeWrite(query, window, groupsOf(query, traffic.groups));
  const written = deps.answers
    ? await deps.answers.writing(query, () => deps.sink.write({ groups, points: [] }, context))
    : await deps.sink.write({ groups, points: [] }, context);
  const final = isWindowFinal(
    { window, lastUpdatedMs: response.meta.lastUpdatedMs, missingBuckets },
    deps.clock.nowMs(),
    query.settleMs,
  );
  // The newest answer is delivered: the groups only an earlier answer named go (windowAnswers.ts).
  await deps.answers?.afterWrite(query, window, final);
  if (deps.names) for (const group of traffic.groups) deps.names.saw(query.dimension, group.tags.group_key!);
  const record = fetchPoint({
    query,
    window,
    outcome: 'ok',
    attempts,
    durationMs,
    points: keptPoints(written),
    refused: refusedPoints(written),
    ...(deps.delivered ? { unchanged } : {}),
    confidenceLevel: response.meta.confidenceLevel,
    lastUpdatedMs: response.meta.lastUpdatedMs,
    missingBuckets,
    ...(change ? { groupsAdded: change.added, groupsRemoved: change.removed } : {}),
    timeMs: deps.recordTimes.nextMs(),
  });
  await deps.sink.write(
    { groups: [], points: [...flattenAnnotations(response.meta.annotations), record] },
    context,
  );
  deps.logger.debug(
    `wrote ${keptPoints(written)} points${unchanged > 0 ? ` (${unchanged} unchanged left out)` : ''}${refusedPoints(written) > 0 ? `, ${refusedPoints(written)} refused` : ''}`,
    { ...context, attempts, durationMs },
  );
  if (missingBuckets > 0) {
    deps.observer?.windowIncomplete();
    deps.logger.warn(
      `window incomplete: Radar's answer lacks ${missingBuckets} buckets that its lastUpdated says exist; ` +
        `written, and fetched again until complete or ${formatDuration(INCOMPLETE_RETRY_MS)} past its end`,
      context,
    );
  }
  const result = {
    window,
    fetched: true,
    written,
    lastUpdatedMs: response.meta.lastUpdatedMs,
    missingBuckets,
  };
  // Remembered only now that the sink has the points; a final window is not fetched again.
  if (final) deps.delivered?.forget(query.id, window);
  else deps.delivered?.remember(query.id, window, traffic.groups, unchanged === 0);
  return result;
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
