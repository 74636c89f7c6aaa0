import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import { loadConfigFile } from './config/load.js';
import { planQueries } from './config/plan.js';
import type { Query } from './model/query.js';
import type { RawConfig } from './config/schema.js';
import { requireRadarAuth, resolveSettings } from './config/settings.js';
import type { Settings } from './model/settings.js';
import { createLogger, parseLogLevel, type Logger } from './log.js';
import { RadarClient, secretsOf } from './radar/client.js';
import { RateLimiter } from './radar/limiter.js';
import { checkInflux, LazyInfluxSink } from './sink/influx/connect.js';
import { DeadLetters } from './sink/influx/deadLetters.js';
import { DeliveringSink } from './sink/influx/deliveringSink.js';
import { DiskSpool } from './sink/influx/spool.js';
import { FileSink } from './sink/file/fileSink.js';
import { InfluxSink } from './sink/influx/influxSink.js';
import type { PointSink } from './sink/sink.js';
import { DeliveredBuckets } from './pipeline/unchanged.js';
import { Semaphore } from './util/semaphore.js';
import { StrictlyIncreasingTimes, systemClock, type Clock } from './util/time.js';
import type { PipelineDeps } from './pipeline/deps.js';
import { UsageError } from './errors.js';
import type { Metrics } from './service/metrics.js';
import { StateStore } from './state/store.js';

/** What every command starts from: the validated config, the settings, the planned queries. */
export interface App {
  configFile: string;
  config: RawConfig;
  settings: Settings;
  queries: Query[];
  logger: Logger;
  clock: Clock;
}

export function loadApp(configFile: string, env: NodeJS.ProcessEnv, clock: Clock = systemClock): App {
  const config = loadConfigFile(configFile, env);
  const settings = resolveSettings(config, env);
  const secrets = [...secretsOf(settings.radar.auth), settings.influx.password, settings.influx.token];
  const logger = createLogger({ level: parseLogLevel(env.LOG_LEVEL), secrets });
  routeNodeWarnings(logger);
  return { configFile, config, settings, queries: planQueries(config, settings), logger, clock };
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
  /** The spooling sink; absent for --dry-run. */
  delivery: DeliveringSink | undefined;
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
    /** once and backfill must end: a spool that stays full fails their writes after a bounded wait. */
    oneShot: boolean;
  },
): Promise<Pipeline> {
  requireRadarAuth(app.settings.radar);
  let influxVersion: string | undefined;
  if (!options.dryRun) {
    const checked = await checkInflux(app.settings.influx, (reason) =>
      app.logger.warn(`${reason}: points will wait in the spool until it answers`),
    );
    if (checked.problems.length > 0) throw new UsageError(checked.problems.join('\n'));
    influxVersion = checked.version;
  }
  const { metrics } = options;
  const cancel = new AbortController();
  // Every request, retry wait and limiter queue slot listens to this one signal: many at once is normal.
  setMaxListeners(0, cancel.signal);
  const limiter = new RateLimiter(
    app.settings.radar.rateLimitPer5Min,
    app.settings.radar.concurrency,
    app.clock,
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
  const delivery = options.dryRun
    ? undefined
    : openDelivery(app, {
        metrics,
        signal: cancel.signal,
        influxVersion,
        fullSpoolWaitMs: options.oneShot ? oneShotSpoolWaitMs(app) : undefined,
      });
  // Where sinks are chosen: InfluxDB behind the spool, or line protocol to stdout for --dry-run.
  const sink: PointSink = delivery
    ? new InfluxSink(delivery, delivery.deadLetters, app.logger, app.settings.influx.batchSize)
    : new FileSink(options.stdout, app.logger);
  app.logger.info(`writing to ${sink.description}`);
  return {
    client,
    sink,
    delivery,
    logger: app.logger,
    clock: app.clock,
    recordTimes: new StrictlyIncreasingTimes(app.clock),
    limiter,
    cancel,
    windowsInParallel: app.settings.radar.concurrency,
    windowSlots: new Semaphore(app.settings.radar.concurrency),
    delivered: new DeliveredBuckets(app.clock),
    ...(metrics ? { observer: metrics } : {}),
  };
}

/** InfluxDB behind the disk spool and the dead-letter file, both in the state directory. */
function openDelivery(
  app: App,
  options: {
    metrics: Metrics | undefined;
    signal: AbortSignal;
    /** What InfluxDB's /ping said at start, if it answered. */
    influxVersion: string | undefined;
    fullSpoolWaitMs: number | undefined;
  },
): DeliveringSink {
  const { stateDir, spoolMaxBytes } = app.settings;
  const { metrics, signal, fullSpoolWaitMs } = options;
  const delivery = new DeliveringSink(
    new LazyInfluxSink(app.settings.influx, options.influxVersion),
    new DiskSpool(join(stateDir, 'spool')),
    new DeadLetters(join(stateDir, 'dead-letters.jsonl')),
    app.logger,
    {
      maxSpoolBytes: spoolMaxBytes,
      signal,
      ...(fullSpoolWaitMs !== undefined ? { fullSpoolWaitMs } : {}),
      ...(metrics ? { observer: metrics } : {}),
    },
  );
  metrics?.watchSpool(delivery);
  return delivery;
}

/** The state directory, locked for `command`; read-only and unlocked for --dry-run, which must leave no trace. */
export function openState(app: App, dryRun: boolean, command: string): StateStore {
  return dryRun
    ? StateStore.openReadOnly(app.settings.stateDir)
    : StateStore.open(app.settings.stateDir, command);
}
