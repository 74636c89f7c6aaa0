import type { Query } from '../model/query.js';
import { CancelledError, ServiceError } from '../errors.js';
import { RADAR_CREDENTIALS_REFUSED } from '../radar/client.js';
import { RADAR_WINDOW_REFUSED } from '../radar/apiError.js';
import type { Window } from '../model/window.js';
import { writeWindow } from './writeWindow.js';
import { logContext, type PipelineDeps, type WindowResult } from './deps.js';
import { fetchResponse } from './fetch.js';
import { addOutcomes, NOTHING_WRITTEN, type WriteOutcome } from '../sink/outcome.js';

export interface QueryOutcome {
  query: Query;
  ok: boolean;
  /** Stopped before its last window because shutdown was asked for. */
  aborted: boolean;
  /** Windows done, oldest first; a failure stops the query there (later windows wait for it). */
  done: WindowResult[];
  /** What became of the traffic points of the windows done, together. */
  written: WriteOutcome;
  error?: Error;
}

export interface RunOptions {
  /** Checked before each window: a shutdown lets the window in flight finish, starts no other. */
  signal?: AbortSignal;
  /** Windows of this query under way at once (default 1: one after the other). */
  parallel?: number;
  /** Called once each window is written (checkpoints, progress), in window order. */
  onWindow?: (result: WindowResult) => void | Promise<void>;
}

/**
 * Fetches and writes a query's windows, up to `parallel` at a time, and reports them in order: the
 * checkpoint (onWindow) only ever moves over a gap-free run of written windows. At the first failure
 * no new window starts; windows already under way finish, and those after the failed one are written
 * but not reported, so the next run fetches them again (writing a window twice is harmless).
 */
export async function runQuery(
  query: Query,
  windows: readonly Window[],
  deps: PipelineDeps,
  options: RunOptions = {},
): Promise<QueryOutcome> {
  const parallel = Math.max(1, options.parallel ?? 1); // 0 would start nothing and never end
  const results: (Promise<WindowResult> | undefined)[] = [];
  let started = 0;
  let failed = false;
  const startNext = (): void => {
    if (failed || options.signal?.aborted || started >= windows.length) return;
    const work = fetchAndWrite(query, windows[started]!, deps, options.signal);
    work.catch(() => (failed = true));
    results[started++] = work;
  };
  for (let i = 0; i < parallel; i++) startNext();
  const done: WindowResult[] = [];
  let written = NOTHING_WRITTEN;
  for (let i = 0; i < windows.length; i++) {
    const work = results[i];
    if (!work) return { query, ok: false, aborted: true, done, written };
    try {
      const result = await work;
      done.push(result);
      written = addOutcomes(written, result.written);
      deps.observer?.windowDone(result);
      await options.onWindow?.(result);
      startNext();
    } catch (error) {
      failed = true;
      await Promise.allSettled(results.slice(i + 1));
      // Given up for a shutdown: not a failure; the window is fetched again next time.
      if (options.signal?.aborted && isCancellation(error))
        return { query, ok: false, aborted: true, done, written };
      deps.observer?.windowFailed();
      return {
        query,
        ok: false,
        aborted: false,
        done,
        written,
        error: logFailure(error, query, windows[i]!, deps),
      };
    }
  }
  return { query, ok: true, aborted: false, done, written };
}

/** One window, fetched and written within a slot of windowSlots (what bounds memory). */
async function fetchAndWrite(
  query: Query,
  window: Window,
  deps: PipelineDeps,
  signal: AbortSignal | undefined,
): Promise<WindowResult> {
  await deps.windowSlots?.acquire(signal);
  try {
    return await writeWindow(query, window, await fetchResponse(query, window, deps, signal), deps);
  } finally {
    deps.windowSlots?.release();
  }
}

/** Logs a window's failure (once: some are told elsewhere) and returns it as an Error. */
function logFailure(error: unknown, query: Query, window: Window, deps: PipelineDeps): Error {
  const message = error instanceof Error ? error.message : String(error);
  // Refused credentials are told once, by the client and the command; not once per query. A window
  // refused as too large is split by the caller, which says so (windowSplit.ts).
  const toldElsewhere =
    error instanceof ServiceError &&
    (error.code === RADAR_CREDENTIALS_REFUSED || error.code === RADAR_WINDOW_REFUSED);
  deps.logger.log(toldElsewhere ? 'debug' : 'error', `window failed: ${message}`, {
    ...logContext(query, window),
    code: error instanceof ServiceError ? error.code : 'unexpected',
  });
  return error instanceof Error ? error : new Error(message);
}

/** What waits and requests reject with once a shutdown aborts them (ours, or an AbortSignal's reason). */
function isCancellation(error: unknown): boolean {
  return error instanceof CancelledError || (error instanceof Error && error.name === 'AbortError');
}
