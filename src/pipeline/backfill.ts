import { createHash } from 'node:crypto';
import type { Query } from '../config/plan.js';
import type { StateStore } from '../state/store.js';
import { isoSeconds } from '../util/time.js';
import { isFinal, windowsCovering, type Window } from '../windows/grid.js';
import type { PipelineDeps, WindowResult } from './fetchWindow.js';
import { runQuery, type QueryOutcome } from './runQuery.js';

export interface BackfillItem {
  query: Query;
  windows: Window[];
}

export interface BackfillPlan {
  /** Names this backfill in the state, so that the same command resumes where it stopped. */
  key: string;
  items: BackfillItem[];
  totalWindows: number;
  /** Windows left out because they are already final (or finished by an earlier, interrupted run). */
  skippedWindows: number;
}

/**
 * The windows of [fromMs, toMs) for each query, in the fewest requests the grid allows: one per grid
 * window. Without `refetch`, windows already final and windows an interrupted run of the same backfill
 * finished are left out.
 */
export function planBackfill(
  queries: readonly Query[],
  fromMs: number,
  toMs: number,
  store: StateStore,
  refetch: boolean,
): BackfillPlan {
  const key = backfillKey(queries, fromMs, toMs, refetch);
  let skippedWindows = 0;
  const items = queries.map((query) => {
    const all = windowsCovering(fromMs, toMs, query.windowMs);
    const saved = store.query(query.id);
    const cursor = store.backfillCursor(key, query.id)?.nextMs ?? -Infinity;
    const windows = all.filter((w) => {
      const alreadyFinal =
        !refetch && saved !== undefined && w.startMs >= saved.finalFromMs && w.endMs <= saved.checkpointMs;
      return !alreadyFinal && w.startMs >= cursor;
    });
    skippedWindows += all.length - windows.length;
    return { query, windows };
  });
  return { key, items, totalWindows: items.reduce((n, i) => n + i.windows.length, 0), skippedWindows };
}

export function backfillKey(
  queries: readonly Query[],
  fromMs: number,
  toMs: number,
  refetch: boolean,
): string {
  const identity = JSON.stringify([queries.map((q) => q.id).sort(), fromMs, toMs, refetch]);
  return createHash('sha256').update(identity).digest('hex').slice(0, 16);
}

/**
 * Runs a plan: queries side by side (the shared rate limiter paces them), each query's windows in order.
 * After each window its cursor is saved, so kill -9 loses at most the windows in flight. The run of
 * final windows a backfill leaves is merged into the query's final range, so that neither scheduled
 * runs nor a later backfill fetch them again.
 */
export async function runBackfill(
  plan: BackfillPlan,
  deps: PipelineDeps,
  store: StateStore,
  onWindow: (result: WindowResult) => void,
  signal?: AbortSignal,
): Promise<QueryOutcome[]> {
  const outcomes = await Promise.all(
    plan.items.map(async (item) => {
      const { query } = item;
      const outcome = await runQuery(query, item.windows, deps, {
        parallel: deps.windowsInParallel ?? 1,
        ...(signal ? { signal } : {}),
        onWindow: async (result) => {
          const previous = store.backfillCursor(plan.key, query.id);
          const contiguous = previous?.nextMs === result.window.startMs;
          const final = isFinal(result.window, deps.clock.nowMs(), result.lastUpdatedMs, query.settleMs);
          const runFrom = !final
            ? undefined
            : contiguous && previous.finalRunFromMs !== undefined
              ? previous.finalRunFromMs
              : result.window.startMs;
          await store.setBackfillCursor(plan.key, query.id, {
            nextMs: result.window.endMs,
            finalRunFromMs: runFrom,
          });
          onWindow(result);
        },
      });
      const cursor = store.backfillCursor(plan.key, query.id);
      if (cursor?.finalRunFromMs !== undefined)
        await mergeFinalRange(store, query.id, cursor.finalRunFromMs, cursor.nextMs);
      return outcome;
    }),
  );
  if (outcomes.every((o) => o.ok)) await store.finishBackfill(plan.key);
  return outcomes;
}

/** Unites [fromMs, toMs) with the query's final range when they touch; starts the range if there is none. */
export async function mergeFinalRange(
  store: StateStore,
  queryId: string,
  fromMs: number,
  toMs: number,
): Promise<void> {
  const saved = store.query(queryId);
  if (!saved) return store.setQuery(queryId, { finalFromMs: fromMs, checkpointMs: toMs });
  if (fromMs > saved.checkpointMs || toMs < saved.finalFromMs) return;
  const finalFromMs = Math.min(fromMs, saved.finalFromMs);
  const checkpointMs = Math.max(toMs, saved.checkpointMs);
  if (finalFromMs !== saved.finalFromMs || checkpointMs !== saved.checkpointMs)
    await store.setQuery(queryId, { ...saved, finalFromMs, checkpointMs });
}

/** "backfill 2025-11-27 → 2026-11-27: 54 windows of 1 query (3 already done): at least 0 min at 600 requests per 5 minutes" */
export function backfillPlanSummary(
  plan: BackfillPlan,
  fromMs: number,
  toMs: number,
  ratePer5Min: number,
): string {
  const minutes = Math.max(0, Math.ceil(plan.totalWindows / ratePer5Min) - 1) * 5;
  return (
    `backfill ${isoSeconds(fromMs)} → ${isoSeconds(toMs)}: ${plan.totalWindows} windows (one request each) of ${plan.items.length} queries` +
    `${plan.skippedWindows > 0 ? `, ${plan.skippedWindows} already done` : ''}; ` +
    (minutes === 0
      ? `within the rate limit of ${ratePer5Min} requests per 5 minutes`
      : `at ${ratePer5Min} requests per 5 minutes that takes at least ${minutes} min`)
  );
}
