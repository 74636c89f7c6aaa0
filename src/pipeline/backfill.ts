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
export function planBackfill(queries: readonly Query[], fromMs: number, toMs: number, store: StateStore, refetch: boolean): BackfillPlan {
  const key = backfillKey(queries, fromMs, toMs, refetch);
  let skippedWindows = 0;
  const items = queries.map((query) => {
    const all = windowsCovering(fromMs, toMs, query.windowMs);
    const saved = store.query(query.id);
    const cursor = store.backfillCursor(key, query.id) ?? -Infinity;
    const windows = all.filter((w) => {
      const alreadyFinal = !refetch && saved !== undefined && w.startMs >= saved.finalFromMs && w.endMs <= saved.checkpointMs;
      return !alreadyFinal && w.startMs >= cursor;
    });
    skippedWindows += all.length - windows.length;
    return { query, windows };
  });
  return { key, items, totalWindows: items.reduce((n, i) => n + i.windows.length, 0), skippedWindows };
}

export function backfillKey(queries: readonly Query[], fromMs: number, toMs: number, refetch: boolean): string {
  const identity = JSON.stringify([queries.map((q) => q.id).sort(), fromMs, toMs, refetch]);
  return createHash('sha256').update(identity).digest('hex').slice(0, 16);
}

/**
 * Runs a plan: queries side by side (the shared rate limiter paces them), each query's windows in order.
 * After each window its cursor is saved, so kill -9 loses at most the windows in flight. Windows that
 * came out final and touch the query's final range extend it, so later runs need not fetch them again.
 */
export async function runBackfill(plan: BackfillPlan, deps: PipelineDeps, store: StateStore, onWindow: (result: WindowResult) => void, signal?: AbortSignal): Promise<QueryOutcome[]> {
  const outcomes = await Promise.all(
    plan.items.map(async (item) => {
      const finalWindows: Window[] = [];
      const outcome = await runQuery(item.query, item.windows, deps, {
        ...(signal ? { signal } : {}),
        onWindow: (result) => {
          store.setBackfillCursor(plan.key, item.query.id, result.window.endMs);
          if (isFinal(result.window, deps.clock.nowMs(), result.lastUpdatedMs, item.query.settleMs)) finalWindows.push(result.window);
          onWindow(result);
        },
      });
      extendFinalRange(store, item.query.id, finalWindows);
      return outcome;
    }),
  );
  if (outcomes.every((o) => o.ok)) store.finishBackfill(plan.key);
  return outcomes;
}

/** Grows the query's final range [finalFromMs, checkpointMs) by the final windows that touch it. */
function extendFinalRange(store: StateStore, queryId: string, finalWindows: readonly Window[]): void {
  const saved = store.query(queryId);
  if (!saved || finalWindows.length === 0) return;
  let { finalFromMs, checkpointMs } = saved;
  const byStart = new Map(finalWindows.map((w) => [w.startMs, w]));
  const byEnd = new Map(finalWindows.map((w) => [w.endMs, w]));
  for (let w = byEnd.get(finalFromMs); w; w = byEnd.get(finalFromMs)) finalFromMs = w.startMs;
  for (let w = byStart.get(checkpointMs); w; w = byStart.get(checkpointMs)) checkpointMs = w.endMs;
  if (finalFromMs !== saved.finalFromMs || checkpointMs !== saved.checkpointMs) store.setQuery(queryId, { ...saved, finalFromMs, checkpointMs });
}

/** "backfill 2025-11-27 → 2026-11-27: 54 windows of 1 query (3 already done): at least 0 min at 600 requests per 5 minutes" */
export function backfillPlanSummary(plan: BackfillPlan, fromMs: number, toMs: number, ratePer5Min: number): string {
  const minutes = Math.max(0, Math.ceil(plan.totalWindows / ratePer5Min) - 1) * 5;
  return (
    `backfill ${isoSeconds(fromMs)} → ${isoSeconds(toMs)}: ${plan.totalWindows} windows (one request each) of ${plan.items.length} queries` +
    `${plan.skippedWindows > 0 ? `, ${plan.skippedWindows} already done` : ''}; at ${ratePer5Min} requests per 5 minutes that takes at least ${minutes} min`
  );
}
