import {
  influxStateFiles,
  inspectSpool,
  replayDeadLetters,
  summarizeDeadLetters,
  type ReplayReport,
  type SpoolContents,
} from '../sink/influx/index.js';

import { supersededIn } from '../pipeline/windowAnswers.js';
import { MEASUREMENT } from '../flatten/flatten.js';
import { DAY_MS, isoSeconds } from '../util/time.js';
import { UsageError } from '../errors.js';
import { StateStore } from '../state/store.js';
import { definitionChanges } from '../pipeline/definition.js';
import type { App } from './config.js';

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
