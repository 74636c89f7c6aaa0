import { commandApp } from './commandApp.js';
import { openState } from '../app/state.js';
import { selectQueries } from './select.js';
import { runFromCheckpoint, windowsDue } from '../pipeline/scheduledRun.js';
import type { CommandLine } from './args.js';
import type { Io } from './io.js';
import { runOneShot } from './oneShot.js';

/** Every selected query once, from its checkpoint (or its lookback) up to now, then a summary. */
export async function onceCommand(cli: CommandLine, io: Io): Promise<number> {
  const app = commandApp(cli, io);
  const queries = selectQueries(app.queries, cli);
  const store = openState(app, cli.dryRun, 'once');
  const nowMs = app.clock.nowMs();
  return runOneShot(app, cli, io, store, queries, {
    command: 'once',
    windows: queries.reduce((sum, q) => sum + windowsDue(q, store, nowMs).length, 0),
    // A long catch-up says how far it is, and what it waits for, as log lines: every half minute at least.
    progress: { everyMs: Infinity, write: (line) => app.logger.info(line) },
    resume: 'run once again to carry on from the checkpoints',
    run: (deps, signal, windowDone) => {
      const counting = {
        ...deps,
        observer: { windowDone, windowFailed: () => undefined, windowIncomplete: () => undefined },
      };
      return Promise.all(queries.map((q) => runFromCheckpoint(q, counting, store, signal)));
    },
  });
}
