import { setMaxListeners } from 'node:events';
import { statSync } from 'node:fs';
import { loadConfigFile } from './config/load.js';
import { planQueries } from './config/plan.js';
import type { Query } from './model/query.js';
import type { RawConfig } from './config/schema.js';
import { requireRadarAuth, resolveSettings } from './config/settings.js';
import type { Settings } from './model/settings.js';
import { createLogger, parseLogLevel, type Logger } from './log.js';
import { RadarClient } from './radar/client.js';
import { secretsOf } from './radar/apiHttp.js';
import { RATE_SPAN_MARGIN, RATE_WINDOW_MS, RateLimiter } from './radar/limiter.js';
import { RequestJournal } from './state/requestJournal.js';
import {
  checkInflux,
  influxStateFiles,
  inspectSpool,
  openInfluxSink,
  replayDeadLetters,
  summarizeDeadLetters,
  type ReplayReport,
  type SpoolContents,
} from './sink/influx/index.js';
import { FileSink } from './sink/file/fileSink.js';
import type { PointSink } from './sink/sink.js';
import { BackgroundWriter } from './sink/background.js';
import { countedSink } from './service/countedSink.js';
import { DeliveredBuckets } from './pipeline/unchanged.js';
import { supersededIn, WindowAnswers } from './pipeline/windowAnswers.js';
import { MEASUREMENT } from './flatten/flatten.js';
import { Semaphore } from './util/semaphore.js';
import { DAY_MS, isoSeconds, StrictlyIncreasingTimes, systemClock, type Clock } from './util/time.js';
import type { PipelineDeps } from './pipeline/deps.js';
import { UsageError } from './errors.js';
import type { Metrics } from './service/metrics.js';
import { StateStore } from './state/store.js';
import { definitionChanges } from './pipeline/definition.js';
import { NameCatalog } from './names/catalog.js';
import { GroupNames } from './names/groupNames.js';
import { yieldToEventLoop } from './util/eventLoop.js';

/** What every command starts from: the validated config, the settings, the planned queries. */
export interface App {
  configFile: string;
  config: RawConfig;
  settings: Settings;
  queries: Query[];
  logger: Logger;
  clock: Clock;
}

/** jobs.yaml and the environment, validated: the settings and the queries. Throws on any mistake. */
export function readConfig(
  configFile: string,
  env: NodeJS.ProcessEnv,
): { config: RawConfig; settings: Settings; queries: Query[] } {
  const config = loadConfigFile(configFile, env);
  const settings = resolveSettings(config, env);
  return { config, settings, queries: planQueries(config, settings) };
}

export function loadApp(configFile: string, env: NodeJS.ProcessEnv, clock: Clock = systemClock): App {
  const { config, settings, queries } = readConfig(configFile, env);
  const secrets = [...secretsOf(settings.radar.auth), settings.influx.password, settings.influx.token];
  const logger = createLogger({ level: parseLogLevel(env.LOG_LEVEL), secrets });
  routeNodeWarnings(logger);
  return { configFile, config, settings, queries, logger, clock };
}

/**
 * Node prints its own warnings as plain text on stderr, between our JSON lines: they go through the
 * logger instead (removing node's default printer is the documented way to take them over).
 */
function routeNodeWarnings(logger: Logger): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => logger.warn(`node: ${warning.name}: ${warning.message}`));
}

/** Narrows the queries by job, dimension and interval; a value that matches nothing is a usage error. */
export function selectQueries(
  queries: Query[],
  filter: { jobs: readonly string[]; dimensions: readonly string[]; intervals: readonly string[] },
): Query[] {
  const pick = <K extends 'job' | 'dimension' | 'interval'>(
    list: Query[],
    key: K,
    wanted: readonly string[],
    option: string,
  ): Query[] => {
    if (wanted.length === 0) return list;
    const known = [...new Set(queries.map((q) => String(q[key])))];
    const unknown = wanted.filter((w) => !known.includes(w));
    if (unknown.length > 0)
      throw new UsageError(
        `${option} ${unknown.map((u) => `"${u}"`).join(', ')} matches no query; the config has ${known.join(', ')}`,
      );
    return list.filter((q) => wanted.includes(String(q[key])));
  };
  const selected = pick(
    pick(pick(queries, 'job', filter.jobs, '--job'), 'dimension', filter.dimensions, '--dimension'),
    'interval',
    filter.intervals,
    '--interval',
  );
  if (selected.length === 0)
    throw new UsageError('no query matches --job, --dimension and --interval together');
  return selected;
}

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

export async function openPipeline(
  app: App,
  options: {
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
  },
): Promise<Pipeline> {
  requireRadarAuth(app.settings.radar);
  let influxVersion: string | undefined;
  if (!options.dryRun) {
    const checked = await checkInflux(app.settings.influx, (reason) => {
      if (options.oneShot && options.freshState) return `${reason}, or start InfluxDB first`;
      app.logger.warn(`${reason}; points will wait in the spool until it answers`);
      return undefined;
    });
    if (checked.problems.length > 0) throw new UsageError(checked.problems.join('\n'));
    influxVersion = checked.version;
    // The service answers /healthz meanwhile: the check and the sink's opening are each several ms.
    await yieldToEventLoop();
  }
  const { metrics } = options;
  const cancel = new AbortController();
  // Every request, retry wait and limiter queue slot listens to this one signal: many at once is normal.
  setMaxListeners(0, cancel.signal);
  // The requests of the last minutes, this process's and those of the one before it (a restart).
  const journal = RequestJournal.open(
    app.settings.stateDir,
    app.clock.nowMs(),
    RATE_WINDOW_MS * (1 + RATE_SPAN_MARGIN),
    app.settings.radar.rateLimitPer5Min,
    options.dryRun,
  );
  const limiter = new RateLimiter(
    app.settings.radar.rateLimitPer5Min,
    app.settings.radar.concurrency,
    app.clock,
    RATE_WINDOW_MS,
    journal,
  );
  metrics?.watchLimiter(limiter);
  const client = new RadarClient({
    settings: app.settings.radar,
    limiter,
    logger: app.logger,
    clock: app.clock,
    signal: cancel.signal,
    ...(metrics ? { onAttempt: (outcome, willRetry) => metrics.attempt(outcome, willRetry) } : {}),
  });
  // Where sinks are chosen: InfluxDB behind the spool, or line protocol to stdout for --dry-run.
  const sink: PointSink = options.dryRun
    ? new FileSink(options.stdout, app.logger)
    : openInfluxSink(app.settings.influx, {
        stateDir: app.settings.stateDir,
        clock: app.clock,
        logger: app.logger,
        maxSpoolBytes: app.settings.spoolMaxBytes,
        signal: cancel.signal,
        ...(influxVersion !== undefined ? { knownVersion: influxVersion } : {}),
        ...(options.oneShot ? { fullSpoolWaitMs: oneShotSpoolWaitMs(app) } : {}),
        ...(metrics ? { onReplay: (outcome) => metrics.replayed(outcome) } : {}),
      });
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

/**
 * The state directory, locked for `command`; read-only and unlocked for --dry-run, which must leave no
 * trace. Refused (UsageError, the lock released) when a query's definition changed since its
 * checkpoints were saved, or a checkpoint lies in the future (a checkpoint is the end of a final window,
 * never after now: more than a day after it, the state file is damaged or the clock far behind, and runs
 * would fetch nothing without a word). `reset`, which mends both, opens it anyway.
 */
export function openState(app: App, dryRun: boolean, command: string): StateStore {
  const store = dryRun
    ? StateStore.openReadOnly(app.settings.stateDir)
    : StateStore.open(app.settings.stateDir, command);
  const changes = definitionChanges(store, app.queries);
  if (command === 'reset') return store;
  const ahead = store.checkpointsAfter(app.clock.nowMs() + DAY_MS);
  const problem =
    changes ??
    (ahead.length > 0
      ? `${ahead.map((q) => `${q.id}: checkpoint ${isoSeconds(q.checkpointMs)}`).join(', ')} in ${store.file} ` +
        `lies in the future: the state file is damaged, or the clock is behind. Fix the clock, or start ` +
        `those queries again with radar-netflows reset --job …`
      : undefined);
  if (problem) {
    void store.close();
    throw new UsageError(problem);
  }
  return store;
}

/** What `status` shows of the sink's files in the state directory: the spool and the dead letters. */
export function sinkFiles(app: App): {
  spoolDir: string;
  spool: SpoolContents;
  deadLetterFile: string;
  deadLetters: ReturnType<typeof summarizeDeadLetters>;
} {
  const { spoolDir, deadLetterFile } = influxStateFiles(app.settings.stateDir);
  return {
    spoolDir,
    spool: inspectSpool(spoolDir),
    deadLetterFile,
    deadLetters: summarizeDeadLetters(deadLetterFile),
  };
}

/** `dead-letters --replay`: the dead letters (of a reason) written to InfluxDB again (see replayDeadLetters). */
export function replayDeadLettersOf(
  app: App,
  store: StateStore,
  reason: string | undefined,
): Promise<ReplayReport> {
  // A group removed from its window since it was refused stays removed (windowAnswers.ts).
  return replayDeadLetters(
    app.settings.influx,
    app.settings.stateDir,
    reason,
    isoSeconds(app.clock.nowMs()),
    (measurement, tags, timeMs) =>
      measurement === MEASUREMENT.traffic && supersededIn(store, app.queries, tags, timeMs),
  );
}
