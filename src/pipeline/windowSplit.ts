import { definitionOf } from './definition.js';
import { RADAR_WINDOW_REFUSED } from '../radar/apiError.js';
import type { Logger } from '../log.js';
import type { Query } from '../model/query.js';
import type { Window } from '../model/window.js';
import { KNOWN_GOOD_WINDOW_MS } from '../radar/vocabulary.js';
import type { StateStore } from '../state/store.js';
import { DAY_MS, formatDuration, WEEK_MS, type Clock } from '../util/time.js';
import { addOutcomes } from '../sink/outcome.js';
import { ServiceError } from '../errors.js';
import { logContext } from './deps.js';
import type { QueryOutcome } from './runQuery.js';

/**
 * The window length a query is fetched in: its configured one, or the smaller one it was split into
 * when Radar refused a window as too large (kept in the state, so a bucket is always fetched in the
 * same window and MIN0_MAX values stay reproducible).
 */
export function windowMsOf(query: Query, store: StateStore): number {
  const split = store.query(query.id)?.windowMs;
  return split !== undefined && split < query.windowMs ? split : query.windowMs;
}

/**
 * The next smaller window after Radar refused `refusedMs` of `interval`: the longest window the
 * interval is known to be answered in, when the refused one was longer; else half of it, in whole days
 * (weeks for 1w, whose windows stay on Radar's Monday weeks). Undefined when nothing smaller is left.
 */
export function smallerWindowMs(interval: Query['interval'], refusedMs: number): number | undefined {
  const knownGoodMs = KNOWN_GOOD_WINDOW_MS[interval];
  if (refusedMs > knownGoodMs) return knownGoodMs;
  const unitMs = interval === '1w' ? WEEK_MS : DAY_MS;
  const halfMs = Math.floor(refusedMs / 2 / unitMs) * unitMs;
  return halfMs >= unitMs ? halfMs : undefined;
}

/**
 * After Radar refused `window` of `query` as too large: records the smaller window length in the
 * state and says so once, with the `windows:` entry that avoids the refusal. Returns the new length,
 * or undefined when no smaller window is left (the refusal then stands as the run's failure).
 */
async function splitAfterRefusal(
  query: Query,
  window: Window,
  nowMs: number,
  store: StateStore,
  logger: Logger,
): Promise<number | undefined> {
  const currentMs = windowMsOf(query, store);
  const spanMs = Math.min(window.endMs, nowMs) - window.startMs;
  const smallerMs = smallerWindowMs(query.interval, Math.min(currentMs, Math.max(spanMs, 1)));
  if (smallerMs === undefined || smallerMs >= currentMs) return undefined;
  const saved = store.query(query.id) ?? { finalFromMs: window.startMs, checkpointMs: window.startMs };
  await store.setQuery(query.id, { ...saved, windowMs: smallerMs }, definitionOf(query));
  logger.warn(
    `Radar refused ${query.interval} data in a ${formatDuration(currentMs)} window: this query is fetched in ` +
      `${formatDuration(smallerMs)} windows from now on (kept in the state directory); ` +
      `\`windows: { ${query.interval}: ${formatDuration(smallerMs)} }\` in jobs.yaml starts there`,
    logContext(query, window),
  );
  return smallerMs;
}

/** One pass over a query's windows: what became of them, and the windows it was given. */
export interface WindowPass {
  outcome: QueryOutcome;
  windows: readonly Window[];
}

/**
 * Runs `pass` and, while Radar refuses a window as too large, splits the query's windows
 * (splitAfterRefusal) and runs `pass` again from the refused window on: one outcome for all of it.
 */
export async function withWindowSplits(
  query: Query,
  store: StateStore,
  deps: { clock: Clock; logger: Logger },
  pass: (from?: Window) => Promise<WindowPass>,
): Promise<QueryOutcome> {
  let last = await pass();
  let outcome = last.outcome;
  for (;;) {
    const refused = refusedWindowOf(last);
    if (!refused) return outcome;
    if ((await splitAfterRefusal(query, refused, deps.clock.nowMs(), store, deps.logger)) === undefined)
      return outcome;
    last = await pass(refused);
    outcome = {
      ...last.outcome,
      done: [...outcome.done, ...last.outcome.done],
      written: addOutcomes(outcome.written, last.outcome.written),
    };
  }
}

/** The window a pass stopped at because Radar refused it as too large, if that is why it stopped. */
function refusedWindowOf({ outcome, windows }: WindowPass): Window | undefined {
  const { error } = outcome;
  if (outcome.ok || outcome.aborted || !(error instanceof ServiceError)) return undefined;
  if (error.code !== RADAR_WINDOW_REFUSED) return undefined;
  return windows[outcome.done.length];
}
