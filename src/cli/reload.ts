import { readConfig, type App } from '../app/config.js';
import type { Settings } from '../model/settings.js';
import { definitionChanges } from '../pipeline/definition.js';
import type { Daemon } from '../service/daemon.js';
import type { StatsReporter } from '../service/statsReporter.js';
import type { StateStore } from '../state/store.js';
import type { Io } from './io.js';

/**
 * SIGHUP: jobs.yaml read again, validated first; the jobs it now holds run from then on. A file with a
 * mistake, or a job whose definition changed since its checkpoints were saved, keeps the running
 * config, saying why. Connection and service settings are read at start only: a change to them is
 * named, to be applied by a restart.
 */
export function reloadJobs(
  configFile: string,
  io: Io,
  app: App,
  store: StateStore,
  daemon: Daemon,
  stats: StatsReporter,
): void {
  let next: ReturnType<typeof readConfig>;
  try {
    next = readConfig(configFile, io.env);
  } catch (error) {
    app.logger.error(
      `SIGHUP: ${configFile} not reloaded, the running jobs go on: ${(error as Error).message}`,
    );
    return;
  }
  // A query still running under its old definition counts as saved with it: its run saves that one.
  const changes = definitionChanges(store, next.queries, daemon.runningQueries);
  if (changes) {
    app.logger.error(`SIGHUP: ${configFile} not reloaded, the running jobs go on: ${changes}`);
    return;
  }
  const fixed = (settings: Settings) =>
    JSON.stringify({ ...settings, windowMs: undefined, settleMs: undefined });
  if (fixed(next.settings) !== fixed(app.settings))
    app.logger.warn('SIGHUP: connection, state or service settings changed: they apply at the next start');
  daemon.reload(next.queries);
  stats.setQueries(next.queries);
  app.queries = next.queries;
  app.logger.info(`SIGHUP: ${configFile} reloaded: ${next.queries.length} queries`);
}
