import { loadApp, routeNodeWarnings, type App } from '../app/config.js';
import type { CommandLine } from './args.js';
import type { Io } from './io.js';

/**
 * The config a command runs with, and the one process-wide change a command makes: node's own
 * warnings go through its logger (loading a config has no side effect of its own).
 */
export function commandApp(cli: CommandLine, io: Io): App {
  const app = loadApp(cli.config, io.env);
  routeNodeWarnings(app.logger);
  return app;
}
