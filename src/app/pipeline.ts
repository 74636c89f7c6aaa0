import { setMaxListeners } from 'node:events';
import { statSync } from 'node:fs';
import { requireRadarAuth } from '../config/settings.js';
import { RadarClient } from '../radar/client.js';
import { RATE_SPAN_MARGIN, RATE_WINDOW_MS, RateLimiter } from '../radar/limiter.js';
import { RequestJournal } from '../state/requestJournal.js';
import { checkInflux, influxStateFiles, openInfluxSink } from '../sink/influx/index.js';
import { FileSink } from '../sink/file/fileSink.js';
import type { PointSink } from '../sink/sink.js';
import { BackgroundWriter } from '../sink/background.js';
import { countedSink } from '../service/countedSink.js';
import { DeliveredBuckets } from '../pipeline/deliveredBuckets.js';
import { WindowAnswers } from '../pipeline/windowAnswers.js';
import { Semaphore } from '../util/semaphore.js';
import { StrictlyIncreasingTimes } from '../util/time.js';
import type { PipelineDeps } from '../pipeline/deps.js';
import { UsageError } from '../errors.js';
import type { Metrics } from '../service/metrics.js';
import { StateStore } from '../state/store.js';
import { NameCatalog } from '../names/catalog.js';
import { GroupNames } from '../names/groupNames.js';
import { yieldToEventLoop } from '../util/eventLoop.js';
import type { App } from './config.js';

/** The Radar client, rate limiter and sink a run needs; `dryRun` prints line protocol instead of writing. */
export interface Pipeline extends PipelineDeps {
  limiter: RateLimiter;
  /** Abandons every wait, retry and request in flight (the end of a shutdown's grace period). */
  cancel: AbortController;
}

/** How long a one-shot command waits for InfluxDB to take what the spool holds, at a full spool and at the end. */
export function oneShotSpoolWaitMs(app: App): number {
  // Three write attempts' worth, and never less than 2 s however short the timeout.
  return Math.max(3 * app.settings.influx.timeoutMs, 2000);
}

/** How a command opens its pipeline. */
export interface PipelineOptions {
  dryRun: boolean;
  stdout: NodeJS.WritableStream;
  metrics?: Metrics;
  /** The state directory the run keeps: what each window holds is kept there (not for --dry-run). */
  store?: StateStore;
  /** once and backfill must end: a spool that stays full fails their writes after a bounded wait. */
  oneShot: boolean;
  /**
   * Whether the state directory has never written anything: then an INFLUX_URL where nothing answers
   * is a setting to fix for a one-shot command, not an outage to wait out.
   */
  freshState?: boolean;
}

export async function openPipeline(app: App, options: PipelineOptions): Promise<Pipeline> {
  requireRadarAuth(app.settings.radar);
  const influxVersion = options.dryRun ? undefined : await checkInfluxFirst(app, options);
  const { metrics } = options;
  const cancel = new AbortController();
  // Every request, retry wait and limiter queue slot listens to this one signal: many at once is normal.
  setMaxListeners(0, cancel.signal);
  const limiter = openLimiter(app, options.dryRun);
  metrics?.watchLimiter(limiter);
  const client = new RadarClient({
    settings: app.settings.radar,
    limiter,
    logger: app.logger,
    clock: app.clock,
    signal: cancel.signal,
    ...(metrics
      ? {
          onAttempt: (outcome, willRetry) => metrics.attempt(outcome, willRetry),
          onExchange: (seconds) => metrics.radarRequest(seconds),
        }
      : {}),
  });
  const sink = openSink(app, options, cancel.signal, influxVersion);
  const counted = metrics ? countedSink(sink, metrics) : sink;
  metrics?.watchSink(counted);
  app.logger.info(`writing to ${sink.description}`);
  return {
    ...(options.dryRun ? {} : { names: openGroupNames(app, limiter, counted, cancel.signal) }),
    client,
    sink: counted,
    failureRecords: new BackgroundWriter(
      counted,
      app.logger,
      'the records of failed requests',
      'all',
      1000,
      (points) => metrics?.droppedInBackground('failure_records', points),
    ),
    logger: app.logger,
    clock: app.clock,
    recordTimes: new StrictlyIncreasingTimes(app.clock),
    limiter,
    cancel,
    windowsInParallel: app.settings.radar.concurrency,
    windowSlots: new Semaphore(app.settings.radar.concurrency),
    delivered: new DeliveredBuckets(app.clock),
    ...(options.store && !options.dryRun ? { answers: windowAnswersOf(app, options.store, counted) } : {}),
    ...(metrics ? { observer: metrics } : {}),
  };
}

/** What can be known of InfluxDB before the first write (a mistake is a UsageError); its version if it said. */
async function checkInfluxFirst(app: App, options: PipelineOptions): Promise<string | undefined> {
  const checked = await checkInflux(app.settings.influx, (reason) => {
    if (options.oneShot && options.freshState) return `${reason}, or start InfluxDB first`;
    app.logger.warn(`${reason}; points will wait in the spool until it answers`);
    return undefined;
  });
  if (checked.problems.length > 0) throw new UsageError(checked.problems.join('\n'));
  // The service answers /healthz meanwhile: the check and the sink's opening are each several ms.
  await yieldToEventLoop();
  return checked.version;
}

/** The one rate limiter of all Radar requests, counting those of the process before it (a restart). */
function openLimiter(app: App, dryRun: boolean): RateLimiter {
  const journal = RequestJournal.open(
    app.settings.stateDir,
    app.clock.nowMs(),
    RATE_WINDOW_MS * (1 + RATE_SPAN_MARGIN),
    app.settings.radar.rateLimitPer5Min,
    dryRun,
  );
  return new RateLimiter(
    app.settings.radar.rateLimitPer5Min,
    app.settings.radar.concurrency,
    app.clock,
    RATE_WINDOW_MS,
    journal,
  );
}

/** Where sinks are chosen: InfluxDB behind the spool, or line protocol to stdout for --dry-run. */
function openSink(
  app: App,
  options: PipelineOptions,
  signal: AbortSignal,
  influxVersion: string | undefined,
): PointSink {
  if (options.dryRun) return new FileSink(options.stdout, app.logger);
  const { metrics } = options;
  return openInfluxSink(app.settings.influx, {
    stateDir: app.settings.stateDir,
    clock: app.clock,
    logger: app.logger,
    maxSpoolBytes: app.settings.spoolMaxBytes,
    signal,
    ...(influxVersion !== undefined ? { knownVersion: influxVersion } : {}),
    ...(options.oneShot ? { fullSpoolWaitMs: oneShotSpoolWaitMs(app) } : {}),
    ...(metrics
      ? {
          onReplay: (outcome) => metrics.replayed(outcome),
          onWriteRequest: (seconds) => metrics.influxWrite(seconds),
        }
      : {}),
  });
}

/** What each window holds, kept in the state; a final window's record is kept while dead letters wait. */
function windowAnswersOf(app: App, store: StateStore, sink: PointSink): WindowAnswers {
  const { deadLetterFile } = influxStateFiles(app.settings.stateDir);
  return new WindowAnswers(store, sink, app.logger, () => fileSize(deadLetterFile) > 0);
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** The names of the group keys, from the catalog in the state directory (a damaged one is set aside). */
function openGroupNames(app: App, limiter: RateLimiter, sink: PointSink, signal: AbortSignal): GroupNames {
  const { catalog, problem } = NameCatalog.open(app.settings.stateDir);
  if (problem) app.logger.warn(problem);
  return new GroupNames({
    catalog,
    radar: app.settings.radar,
    limiter,
    sink,
    logger: app.logger,
    clock: app.clock,
    signal,
  });
}

/** Ends a pipeline: the background writes, then the sink (what waits in the spool stays there). */
export async function closePipeline(pipeline: Pipeline): Promise<void> {
  await pipeline.failureRecords.settled();
  await pipeline.sink.close();
}
