import { flattenAnnotations, flattenTraffic } from '../flatten/flatten.js';
import { fetchPoint } from './fetchRecord.js';
import type { Query } from '../model/query.js';
import type { Window } from '../model/window.js';
import type { FetchResult } from '../radar/client.js';
import { yieldToEventLoop } from '../util/eventLoop.js';
import { TRAFFIC_LEVEL } from '../model/vocabulary.js';
import { formatDuration } from '../util/time.js';
import { keptPoints, NOTHING_WRITTEN, refusedPoints, type WriteOutcome } from '../sink/outcome.js';
import type { TrafficGroup } from '../model/point.js';
import { logContext, type PipelineDeps, type WindowResult } from './deps.js';
import type { FetchedWindow } from './fetch.js';
import { expectedBuckets, INCOMPLETE_RETRY_MS, isWindowFinal } from './finality.js';
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
  const { written, change, final } = await writeTraffic(query, window, groups, traffic.groups, {
    deps,
    context,
    lastUpdatedMs: response.meta.lastUpdatedMs,
    missingBuckets,
  });
  if (deps.names && query.dimension !== TRAFFIC_LEVEL)
    for (const group of traffic.groups) deps.names.saw(query.dimension, group.tags.group_key!);
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
  deps.logger.debug(`wrote ${describeWrite(written, unchanged)}`, { ...context, attempts, durationMs });
  if (missingBuckets > 0) warnIncomplete(missingBuckets, deps, context);
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

/**
 * The traffic written, and the window's groups kept in step (windowAnswers.ts): saved before the
 * write, so that a write cut short (kill -9) leaves the window marked for the next fetch to mend; the
 * groups only an earlier answer named removed once the newest answer is delivered.
 */
async function writeTraffic(
  query: Query,
  window: Window,
  groups: TrafficGroup[],
  allGroups: readonly TrafficGroup[],
  at: {
    deps: PipelineDeps;
    context: Record<string, string>;
    lastUpdatedMs: number | undefined;
    missingBuckets: number;
  },
): Promise<{
  written: WriteOutcome;
  change: { added: number; removed: number } | undefined;
  final: boolean;
}> {
  const { deps, context } = at;
  // The traffic level has no groups that a newer answer could drop: nothing to keep in step.
  const answers = query.dimension === TRAFFIC_LEVEL ? undefined : deps.answers;
  const change = await answers?.beforeWrite(query, window, groupsOf(query, allGroups));
  const write = () => deps.sink.write({ groups, points: [] }, context);
  const written = answers ? await answers.writing(write) : await write();
  const final = isWindowFinal(
    { window, lastUpdatedMs: at.lastUpdatedMs, missingBuckets: at.missingBuckets },
    deps.clock.nowMs(),
    query.settleMs,
  );
  await answers?.afterWrite(query, window, final);
  return { written, change, final };
}

/** "1200 points (30 unchanged left out), 4 refused" */
function describeWrite(written: WriteOutcome, unchanged: number): string {
  const refused = refusedPoints(written);
  return (
    `${keptPoints(written)} points${unchanged > 0 ? ` (${unchanged} unchanged left out)` : ''}` +
    `${refused > 0 ? `, ${refused} refused` : ''}`
  );
}

function warnIncomplete(missingBuckets: number, deps: PipelineDeps, context: Record<string, string>): void {
  deps.observer?.windowIncomplete();
  deps.logger.warn(
    `window incomplete: Radar's answer lacks ${missingBuckets} buckets that its lastUpdated says exist; ` +
      `written, and fetched again until complete or ${formatDuration(INCOMPLETE_RETRY_MS)} past its end`,
    context,
  );
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
