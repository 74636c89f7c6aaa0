import type { Query } from '../model/query.js';
import type { StateStore } from '../state/store.js';
import { bucketStartFor, gridOriginMs, windowsFrom, windowStartFor } from '../windows/grid.js';
import type { Window } from '../model/window.js';
import { isWindowFinal } from './finality.js';
import { checkDefinition, definitionOf } from './definition.js';
import type { PipelineDeps } from './deps.js';
import { runQuery, type QueryOutcome } from './runQuery.js';
import { windowMsOf, withWindowSplits, type WindowPass } from './windowSplit.js';

/** Where a query's next run starts: its checkpoint, or `lookback` ago for a new query. */
function checkpointOf(query: Query, store: StateStore, nowMs: number): number {
  return (
    store.query(query.id)?.checkpointMs ??
    windowStartFor(nowMs - query.lookbackMs, windowMsOf(query, store), gridOriginMs(query.interval))
  );
}

/**
 * The windows a run of the query fetches now: from its checkpoint up to now. After `windows:` changed,
 * the first one runs from the checkpoint to the new grid's next line (see windowsFrom).
 */
export function windowsDue(query: Query, store: StateStore, nowMs: number): Window[] {
  // From the start of the checkpoint's bucket: a weekly checkpoint an earlier release left on a Thursday
  // (its grid counted from the epoch) fetches the week it cuts again, whole, on Radar's Monday weeks.
  const fromMs = bucketStartFor(checkpointOf(query, store, nowMs), query.interval);
  return windowsFrom(fromMs, nowMs, windowMsOf(query, store), gridOriginMs(query.interval));
}

/**
 * One scheduled run of a query (also `once`): every window from its checkpoint up to now, oldest
 * first. The checkpoint moves past a window only when that window and all before it are final and
 * written, so after any downtime, or late data, the next run closes the gap by itself.
 */
export async function runFromCheckpoint(
  query: Query,
  deps: PipelineDeps,
  store: StateStore,
  signal?: AbortSignal,
): Promise<QueryOutcome> {
  // Removals an earlier run left due (behind the spool, or failed) go before this run's windows.
  checkDefinition(query, store);
  if (deps.answers) await deps.answers.settle(query); // (no await without: a run starts at once)
  // A window Radar refused as too large: the query's windows are split, and the run goes on from there.
  return withWindowSplits(query, store, deps, () => runOnce(query, deps, store, signal));
}

/** One pass over the windows due: the checkpoint moves over each window that is final. */
async function runOnce(
  query: Query,
  deps: PipelineDeps,
  store: StateStore,
  signal?: AbortSignal,
): Promise<WindowPass> {
  const nowMs = deps.clock.nowMs();
  const saved = store.query(query.id);
  const definition = definitionOf(query);
  const fromMs = checkpointOf(query, store, nowMs);
  const state = {
    finalFromMs: saved?.finalFromMs ?? fromMs,
    checkpointMs: fromMs,
    ...(saved?.lastSuccessMs !== undefined ? { lastSuccessMs: saved.lastSuccessMs } : {}),
    ...(saved?.lastFailure !== undefined ? { lastFailure: saved.lastFailure } : {}),
    ...(saved?.windowMs !== undefined ? { windowMs: saved.windowMs } : {}),
  };
  let frontierIsFinal = true;
  const windows = windowsDue(query, store, nowMs);
  const outcome = await runQuery(query, windows, deps, {
    parallel: deps.windowsInParallel ?? 1,
    ...(signal ? { signal } : {}),
    onWindow: (result) => {
      if (!frontierIsFinal || !isWindowFinal(result, deps.clock.nowMs(), query.settleMs)) {
        frontierIsFinal = false;
        return;
      }
      state.checkpointMs = result.window.endMs;
      return store.setQuery(query.id, state, definition);
    },
  });
  if (outcome.ok) await store.setQuery(query.id, { ...state, lastSuccessMs: deps.clock.nowMs() }, definition);
  else if (!outcome.aborted)
    // For `status`; best effort: when the disk under the state fails, that failure is the one to tell.
    await store
      .setQuery(
        query.id,
        {
          ...state,
          lastFailure: { atMs: deps.clock.nowMs(), message: outcome.error?.message ?? 'unknown error' },
        },
        definition,
      )
      .catch(() => undefined);
  return { outcome, windows };
}
