import { loadConfigFile } from './config/load.js';
import { planQueries, type Query } from './config/plan.js';
import type { RawConfig } from './config/schema.js';
import { requireRadarAuth, resolveSettings, type Settings } from './config/settings.js';
import { createLogger, type Logger } from './log.js';
import { RadarClient, secretsOf } from './radar/client.js';
import { RateLimiter } from './radar/limiter.js';
import { connectInflux } from './sink/connect.js';
import { DryRunSink, type PointSink } from './sink/sink.js';
import { systemClock, type Clock } from './util/time.js';
import type { PipelineDeps } from './pipeline/fetchWindow.js';
import { UsageError } from './errors.js';

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
  const logger = createLogger({ level: env.LOG_LEVEL, secrets });
  return { configFile, config, settings, queries: planQueries(config, settings), logger, clock };
}

/** Keeps the queries of the named jobs; an unknown name is a usage error that lists the known ones. */
export function selectJobs(queries: Query[], jobs: readonly string[]): Query[] {
  if (jobs.length === 0) return queries;
  const known = [...new Set(queries.map((q) => q.job))];
  const unknown = jobs.filter((job) => !known.includes(job));
  if (unknown.length > 0) throw new UsageError(`unknown job ${unknown.map((j) => `"${j}"`).join(', ')}; jobs in the config: ${known.join(', ')}`);
  return queries.filter((q) => jobs.includes(q.job));
}

/** The Radar client, rate limiter and sink a run needs; `dryRun` prints line protocol instead of writing. */
export async function openPipeline(app: App, options: { dryRun: boolean; stdout: NodeJS.WritableStream }): Promise<PipelineDeps> {
  requireRadarAuth(app.settings.radar);
  const limiter = new RateLimiter(app.settings.radar.rateLimitPer5Min, app.settings.radar.concurrency, app.clock);
  const client = new RadarClient({ settings: app.settings.radar, limiter, logger: app.logger, clock: app.clock });
  const sink: PointSink = options.dryRun ? new DryRunSink(options.stdout) : await connectInflux(app.settings.influx);
  app.logger.info(`writing to ${sink.description}`);
  return { client, sink, logger: app.logger, clock: app.clock };
}
