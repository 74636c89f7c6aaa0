import { checkDefinition, definitionOf } from './definition.js';
import type { Query } from '../model/query.js';
import type { BackfillCursor, StateStore } from '../state/store.js';
import { isoSeconds } from '../util/time.js';
import {
  bucketEndFor,
  bucketStartFor,
  gridOriginMs,
  windowsCovering,
  withoutRange,
} from '../windows/grid.js';
import type { Window } from '../model/window.js';
import { isWindowFinal } from './finality.js';
import type { PipelineDeps, WindowResult } from './deps.js';
import { runQuery, type QueryOutcome } from './runQuery.js';
import { windowMsOf, withWindowSplits, type WindowPass } from './windowSplit.js';

export interface BackfillItem {
  query: Query;
  windows: Window[];
}

export interface BackfillPlan {
  items: BackfillItem[];
  /** The range asked for. */
  fromMs: number;
  toMs: number;
  refetch: boolean;
  totalWindows: number;
  /** Windows left out because they are already final (or finished by an earlier, interrupted run). */
  skippedWindows: number;
}

/**
 * The windows of [fromMs, toMs) for each query, in the fewest requests the grid allows: one per grid
 * window. Without `refetch`, windows already final and windows an interrupted backfill of the query
 * finished are left out. That is decided by the windows themselves, not by the command's words, so
 * `--from 365d` run again after a stop resumes even though "365 days ago" has moved on.
 */
export function planBackfill(
  queries: readonly Query[],
  fromMs: number,
  toMs: number,
  store: StateStore,
  refetch: boolean,
): BackfillPlan {
  let skippedWindows = 0;
  const items = queries.map((query) => {
    const { windows, skipped } = windowsToFill(query, fromMs, toMs, store, refetch);
    skippedWindows += skipped;
    return { query, windows };
  });
  return {
    items,
    fromMs,
    toMs,
    refetch,
    totalWindows: items.reduce((n, i) => n + i.windows.length, 0),
    skippedWindows,
  };
}

/** One query's windows of [fromMs, toMs) still to fetch, and how many grid windows were already done. */
function windowsToFill(
  query: Query,
  fromMs: number,
  toMs: number,
  store: StateStore,
  refetch: boolean,
): { windows: Window[]; skipped: number } {
  const all = windowsCovering(fromMs, toMs, windowMsOf(query, store), gridOriginMs(query.interval));
  const saved = store.query(query.id);
  const cursor = store.backfillCursor(query.id);
  // What is already done: the final range, and what an interrupted backfill of the query finished.
  // Made on another grid (`windows:` changed since, or a window split), either may cover part of a
  // window: only the rest of it is fetched.
  const done = [
    ...(!refetch && saved ? [{ fromMs: saved.finalFromMs, toMs: saved.checkpointMs }] : []),
    ...(cursor && (!refetch || cursor.refetch) ? [{ fromMs: cursor.fromMs, toMs: cursor.nextMs }] : []),
  ];
  const windows = all.flatMap((w) => {
    const rest = done.reduce<Window | undefined>((left, range) => left && withoutRange(left, range), w);
    // A rest cut on another grid (a weekly range an earlier release ended on a Thursday) widens to
    // whole buckets, so that the week it cuts is fetched whole.
    return rest
      ? [
          {
            startMs: Math.max(w.startMs, bucketStartFor(rest.startMs, query.interval)),
            endMs: Math.min(w.endMs, bucketEndFor(rest.endMs, query.interval)),
          },
        ]
      : [];
  });
  return { windows, skipped: all.length - windows.length };
}

/**
 * Runs a plan: queries side by side (the shared rate limiter paces them), each query's windows in order.
 * After each window the query's cursor is saved, and the gap-free run of final windows it has made
 * is merged into the query's final range as soon as it touches it (or starts one), so kill -9 loses at
 * most the windows in flight, and neither scheduled runs nor a later backfill fetch them again. A
 * backfill that ends now thus moves the checkpoint up to its last final window.
 */
export async function runBackfill(
  plan: BackfillPlan,
  deps: PipelineDeps,
  store: StateStore,
  onWindow: (result: WindowResult) => void,
  signal?: AbortSignal,
): Promise<QueryOutcome[]> {
  return Promise.all(
    plan.items.map(async ({ query, windows }) => {
      checkDefinition(query, store);
      if (deps.answers) await deps.answers.settle(query);
      // A window Radar refused as too large: the query's windows are split, and the backfill goes on
      // from that window on the smaller grid.
      const outcome = await withWindowSplits(query, store, deps, (refused) =>
        backfillWindows(
          query,
          refused ? windowsToFill(query, refused.startMs, plan.toMs, store, plan.refetch).windows : windows,
          plan.refetch,
          deps,
          store,
          onWindow,
          signal,
        ),
      );
      if (outcome.ok) await store.finishBackfill(query.id);
      return outcome;
    }),
  );
}

/** A query's windows in order, its cursor and final range saved after each. */
async function backfillWindows(
  query: Query,
  windows: Window[],
  refetch: boolean,
  deps: PipelineDeps,
  store: StateStore,
  onWindow: (result: WindowResult) => void,
  signal?: AbortSignal,
): Promise<WindowPass> {
  const outcome = await runQuery(query, windows, deps, {
    parallel: deps.windowsInParallel ?? 1,
    ...(signal ? { signal } : {}),
    onWindow: async (result) => {
      const cursor = advanceCursor(
        store.backfillCursor(query.id),
        result,
        isWindowFinal(result, deps.clock.nowMs(), query.settleMs),
        refetch,
      );
      // Both changes are made before either is awaited, so they share one write of the state file.
      await Promise.all([
        store.setBackfillCursor(query.id, cursor),
        cursor.finalUntilMs > cursor.fromMs
          ? mergeFinalRange(store, query, cursor.fromMs, cursor.finalUntilMs)
          : undefined,
      ]);
      onWindow(result);
    },
  });
  return { outcome, windows };
}

/** The cursor after a window: carried on when the window follows it, else started afresh at the window. */
export function advanceCursor(
  previous: BackfillCursor | undefined,
  result: WindowResult,
  final: boolean,
  refetch: boolean,
): BackfillCursor {
  const { startMs, endMs } = result.window;
  const cursor =
    previous?.nextMs === startMs
      ? previous
      : { fromMs: startMs, nextMs: startMs, finalUntilMs: startMs, refetch };
  return {
    ...cursor,
    nextMs: endMs,
    finalUntilMs: final && cursor.finalUntilMs === startMs ? endMs : cursor.finalUntilMs,
  };
}

/** Unites [fromMs, toMs) with the query's final range when they touch; starts the range if there is none. */
export async function mergeFinalRange(
  store: StateStore,
  query: Query,
  fromMs: number,
  toMs: number,
): Promise<void> {
  const queryId = query.id;
  const saved = store.query(queryId);
  const definition = definitionOf(query);
  if (!saved) return store.setQuery(queryId, { finalFromMs: fromMs, checkpointMs: toMs }, definition);
  if (fromMs > saved.checkpointMs || toMs < saved.finalFromMs) return;
  const finalFromMs = Math.min(fromMs, saved.finalFromMs);
  const checkpointMs = Math.max(toMs, saved.checkpointMs);
  if (finalFromMs !== saved.finalFromMs || checkpointMs !== saved.checkpointMs)
    await store.setQuery(queryId, { ...saved, finalFromMs, checkpointMs }, definition);
}

/** "backfill 2025-11-27 → 2026-11-27: 54 windows of 1 query (3 already done): at least 0 min at 600 requests per 5 minutes" */
export function backfillPlanSummary(
  plan: BackfillPlan,
  fromMs: number,
  toMs: number,
  ratePer5Min: number,
): string {
  // The first span's requests go at once; every further span of requests waits 5 minutes.
  const minutes = Math.max(0, Math.ceil(plan.totalWindows / ratePer5Min) - 1) * 5;
  return (
    `backfill ${isoSeconds(fromMs)} → ${isoSeconds(toMs)}: ${plan.totalWindows} windows (one request each) of ${plan.items.length} queries` +
    `${plan.skippedWindows > 0 ? `, ${plan.skippedWindows} already done` : ''}; ` +
    (minutes === 0
      ? `within the rate limit of ${ratePer5Min} requests per 5 minutes`
      : `at ${ratePer5Min} requests per 5 minutes that takes at least ${minutes} min`)
  );
}
