import type { Logger } from '../log.js';
import type { Query } from '../model/query.js';
import type { Window } from '../model/window.js';
import type { RadarClient } from '../radar/client.js';
import type { PointSink } from '../sink/sink.js';
import type { WriteOutcome } from '../sink/outcome.js';
import type { BackgroundWriter } from '../sink/background.js';
import type { DeliveredBuckets } from './deliveredBuckets.js';
import type { WindowAnswers } from './windowAnswers.js';
import type { GroupNames } from '../names/groupNames.js';
import type { Semaphore } from '../util/semaphore.js';
import { isoSeconds, type Clock, type StrictlyIncreasingTimes } from '../util/time.js';

/**
 * What the steps of a window share: fetch (fetch.ts; Radar's client checks the answer against the
 * window), flatten and deliver (writeWindow.ts), checkpoint (finality.ts, scheduledRun.ts, backfill.ts).
 */
export interface PipelineDeps {
  client: RadarClient;
  sink: PointSink;
  /** Where the records of failed requests are written, in the background. */
  failureRecords: BackgroundWriter;
  logger: Logger;
  clock: Clock;
  /** Times of the radar_fetches records: two never share one (they would overwrite each other). */
  recordTimes: StrictlyIncreasingTimes;
  /** Told of every window written or failed (metrics). */
  observer?: WindowObserver;
  /** What the windows fetched again were last written with: a run writes only new or changed buckets. */
  delivered?: DeliveredBuckets;
  /**
   * Windows under way (fetched, not yet written) over all queries together: what bounds memory, since
   * a window's answer, points and line protocol live until it is written (a 7-day window of 15m data
   * with 20 groups is about 13,000 points). Unset: no bound beyond windowsInParallel per query.
   */
  windowSlots?: Semaphore;
  /** Told of the group keys written, whose names it fetches and writes later (never holding a window up). */
  names?: GroupNames;
  /** What each window holds: the groups only an earlier answer named are removed (windowAnswers.ts). */
  answers?: WindowAnswers;
  /** Windows of one query fetched and written at once (catch-up and backfill); the rate limiter still rules. */
  windowsInParallel?: number;
}

export interface WindowObserver {
  windowDone(result: WindowResult): void;
  windowFailed(): void;
  windowIncomplete(): void;
}

export interface WindowResult {
  window: Window;
  /** False when nothing of the window exists yet (it opens after the last 15-minute mark). */
  fetched: boolean;
  /** What became of the window's traffic points (as the sink said): the source of every count. */
  written: WriteOutcome;
  /** Radar's `meta.lastUpdated`: how far its data reaches. */
  lastUpdatedMs: number | undefined;
  /** Buckets a closed window's answer lacks: such a window is not final yet (see finality.ts). */
  missingBuckets: number;
}

export function logContext(query: Query, window: Window): Record<string, string> {
  return {
    job: query.job,
    dimension: query.dimension,
    interval: query.interval,
    window: `${isoSeconds(window.startMs)}/${isoSeconds(window.endMs)}`,
  };
}
