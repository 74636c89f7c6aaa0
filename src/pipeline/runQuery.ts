import type { Query } from '../config/plan.js';
import { ServiceError } from '../errors.js';
import type { Window } from '../windows/grid.js';
import { fetchWindow, logContext, type PipelineDeps, type WindowResult } from './fetchWindow.js';

export interface QueryOutcome {
  query: Query;
  ok: boolean;
  /** Stopped before its last window because shutdown was asked for. */
  aborted: boolean;
  /** Windows done, oldest first; a failure stops the query there (later windows wait for it). */
  done: WindowResult[];
  points: number;
  error?: Error;
}

export interface RunOptions {
  /** Checked before each window: a shutdown lets the window in flight finish, starts no other. */
  signal?: AbortSignal;
  /** Called once each window is written (checkpoints, progress). */
  onWindow?: (result: WindowResult) => void;
}

/** Fetches a query's windows in order, stopping at the first failure so that nothing is skipped. */
export async function runQuery(query: Query, windows: readonly Window[], deps: PipelineDeps, options: RunOptions = {}): Promise<QueryOutcome> {
  const done: WindowResult[] = [];
  let points = 0;
  for (const window of windows) {
    if (options.signal?.aborted) return { query, ok: false, aborted: true, done, points };
    try {
      const result = await fetchWindow(query, window, deps);
      done.push(result);
      points += result.points;
      deps.observer?.windowDone(result);
      options.onWindow?.(result);
    } catch (error) {
      deps.observer?.windowFailed();
      const message = error instanceof Error ? error.message : String(error);
      deps.logger.error(`window failed: ${message}`, { ...logContext(query, window), code: error instanceof ServiceError ? error.code : 'unexpected' });
      return { query, ok: false, aborted: false, done, points, error: error instanceof Error ? error : new Error(message) };
    }
  }
  return { query, ok: true, aborted: false, done, points };
}
