import type { Query } from '../config/plan.js';
import { ServiceError } from '../errors.js';
import type { Window } from '../windows/grid.js';
import { fetchResponse, logContext, writeWindow, type FetchedWindow, type PipelineDeps, type WindowResult } from './fetchWindow.js';

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
  /** Called once each window is written (checkpoints, progress); the next window waits for it. */
  onWindow?: (result: WindowResult) => void | Promise<void>;
}

/**
 * Fetches a query's windows in order, stopping at the first failure so that nothing is skipped. The
 * next window's request is already under way while the current one is written (one ahead, no more:
 * memory stays at two responses per query), so the network and InfluxDB work side by side.
 */
export async function runQuery(query: Query, windows: readonly Window[], deps: PipelineDeps, options: RunOptions = {}): Promise<QueryOutcome> {
  const done: WindowResult[] = [];
  let points = 0;
  const start = (window: Window): Promise<FetchedWindow> => {
    const fetching = fetchResponse(query, window, deps);
    fetching.catch(() => undefined); // awaited below, or abandoned when an earlier window failed
    return fetching;
  };
  let next = windows[0] && !options.signal?.aborted ? start(windows[0]) : undefined;
  for (let i = 0; i < windows.length; i++) {
    const window = windows[i]!;
    if (options.signal?.aborted || !next) return { query, ok: false, aborted: true, done, points };
    try {
      const fetched = await next;
      next = windows[i + 1] && !options.signal?.aborted ? start(windows[i + 1]!) : undefined;
      const result = await writeWindow(query, window, fetched, deps);
      done.push(result);
      points += result.points;
      deps.observer?.windowDone(result);
      await options.onWindow?.(result);
    } catch (error) {
      deps.observer?.windowFailed();
      const message = error instanceof Error ? error.message : String(error);
      deps.logger.error(`window failed: ${message}`, { ...logContext(query, window), code: error instanceof ServiceError ? error.code : 'unexpected' });
      return { query, ok: false, aborted: false, done, points, error: error instanceof Error ? error : new Error(message) };
    }
  }
  return { query, ok: true, aborted: false, done, points };
}
