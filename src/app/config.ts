import { loadConfigFile } from '../config/load.js';
import { planQueries } from '../config/plan.js';
import type { Query } from '../model/query.js';
import type { RawConfig } from '../config/schema.js';
import { resolveSettings } from '../config/settings.js';
import type { Settings } from '../model/settings.js';
import { createLogger, parseLogFormat, parseLogLevel, type Logger } from '../log.js';
import { secretsOf } from '../radar/apiHttp.js';
import { systemClock, type Clock } from '../util/time.js';

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
  const pretty = parseLogFormat(env.LOG_FORMAT);
  const logger = createLogger({
    level: parseLogLevel(env.LOG_LEVEL),
    secrets,
    ...(pretty !== undefined ? { pretty } : {}),
  });
  return { configFile, config, settings, queries, logger, clock };
}

/**
 * Node prints its own warnings as plain text on stderr, between our JSON lines: they go through the
 * logger instead (removing node's default printer is the documented way to take them over).
 */
export function routeNodeWarnings(logger: Logger): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => logger.warn(`node: ${warning.name}: ${warning.message}`));
}
