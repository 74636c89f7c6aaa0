import { closePipeline, oneShotSpoolWaitMs, openPipeline, type Pipeline } from '../app/pipeline.js';
import { type App } from '../app/config.js';
import { ServiceError } from '../errors.js';
import type { Query } from '../model/query.js';
import type { WindowResult } from '../pipeline/deps.js';
import type { QueryOutcome } from '../pipeline/runQuery.js';
import {
  addOutcomes,
  describeRefusals,
  keptPoints,
  NOTHING_WRITTEN,
  refusedPoints,
  type SinkHealth,
} from '../sink/outcome.js';
import { SpoolFullError } from '../sink/sink.js';
import type { StateStore } from '../state/store.js';
import type { CommandLine } from './args.js';
import { EXIT, type Io } from './io.js';
import { Progress, type ProgressOptions } from './progress.js';
import { onStopSignal } from './signals.js';

/** What a one-shot command does between opening its pipeline and ending. */
export interface OneShotWork {
  command: 'once' | 'backfill';
  /** Windows it will fetch (for the progress and its ETA). */
  windows: number;
  /** How its progress is told (beyond the rate limit and the waits, which every command tells). */
  progress?: Partial<ProgressOptions>;
  /** What Ctrl-C says it leaves for next time. */
  resume: string;
  /** The work: every window reported through `windowDone` once written. */
  run(
    deps: Pipeline,
    signal: AbortSignal,
    windowDone: (result: WindowResult) => void,
  ): Promise<QueryOutcome[]>;
}

/**
 * The one scaffold of `once` and `backfill`: the pipeline opened on the state directory, progress on
 * stderr, Ctrl-C finishing the windows in flight, the summary and exit code (finishOneShot), and
 * everything closed however it ends.
 */
export async function runOneShot(
  app: App,
  cli: CommandLine,
  io: Io,
  store: StateStore,
  queries: readonly Query[],
  work: OneShotWork,
): Promise<number> {
  try {
    const deps = await openPipeline(app, {
      dryRun: cli.dryRun,
      stdout: io.stdout,
      oneShot: true,
      freshState: store.isFresh,
      store,
    });
    const progress = new Progress(work.command, work.windows, io.stderr, app.clock, {
      windowsPer5Min: app.settings.radar.rateLimitPer5Min,
      waiting: () => deps.limiter.waiting,
      ...work.progress,
    }).start();
    const interrupt = new AbortController();
    const removeHandlers = onStopSignal((signal) => {
      io.stderr.write(`\n${signal}: finishing the windows in flight; ${work.resume}\n`);
      interrupt.abort();
      deps.names?.stop();
    }, io);
    try {
      const outcomes = await work.run(deps, interrupt.signal, (result) =>
        progress.tick(keptPoints(result.written)),
      );
      progress.finish();
      return await finishOneShot(app, deps, outcomes, io, {
        queries,
        dryRun: cli.dryRun,
        interrupted: interrupt.signal.aborted,
      });
    } finally {
      progress.finish();
      removeHandlers();
      await closePipeline(deps);
    }
  } finally {
    await store.close();
  }
}

/**
 * How a one-shot command (once, backfill) ends, once its queries have run, from their outcomes and
 * the sink's health:
 * - 130 when Ctrl-C stopped it (after the summary of what it did);
 * - 2 when Radar or InfluxDB refused our credentials, or InfluxDB a setting (whatever the spool holds:
 *   that is the news);
 * - 1 when a query failed for any reason but a full spool, or points were refused for good;
 * - 3 when points are left in the spool after giving InfluxDB a moment (safe on disk; the next run
 *   writes them first), or a full spool stopped fetching;
 * - 0 otherwise.
 */
export async function finishOneShot(
  app: App,
  deps: Pipeline,
  outcomes: readonly QueryOutcome[],
  io: Io,
  { queries, dryRun, interrupted }: { queries: readonly Query[]; dryRun: boolean; interrupted: boolean },
): Promise<number> {
  if (interrupted) {
    reportOutcomes(app, outcomes, io, dryRun, deps.sink.health());
    return EXIT.interrupted;
  }
  const refused = deps.client.refusedCredentials;
  if (refused) {
    io.stderr.write(`error: ${refused.message}\n`);
    return EXIT.usage;
  }
  // The names of the groups written, once every window is done: they never hold a window up.
  if (!dryRun) await deps.names?.refresh();
  const failed = outcomes.filter((o) => !o.ok && !o.aborted);
  const spoolFull = failed.filter(
    (o) => o.error instanceof ServiceError && o.error.code === SpoolFullError.CODE,
  );
  if (deps.sink.health().backlogBytes > 0 && spoolFull.length === 0)
    await deps.sink.drain(oneShotSpoolWaitMs(app));
  // The removals that waited for the spool: due now that it is written (or kept for the next run).
  for (const query of queries) await deps.answers?.settle(query);
  const health = deps.sink.health();
  reportOutcomes(app, outcomes, io, dryRun, health);
  if (health.fatal) {
    io.stderr.write(`error: ${health.fatal.message}\n`);
    return EXIT.usage;
  }
  const written = outcomes.reduce((sum, o) => addOutcomes(sum, o.written), NOTHING_WRITTEN);
  const refusals = describeRefusals(written);
  if (refusals)
    io.stderr.write(
      `error: ${refusals}; kept in the dead letters (radar-netflows dead-letters lists them)\n`,
    );
  if (health.refusedOnReplay)
    io.stderr.write(
      `error: InfluxDB refused ${health.refusedOnReplay} points waiting in the spool; kept in the dead letters (radar-netflows dead-letters lists them)\n`,
    );
  if (health.backlogBytes > 0) {
    io.stderr.write(
      `warning: InfluxDB did not take every point${health.lastError ? ` (${health.lastError})` : ''}; ` +
        `${health.backlogBytes} bytes wait in ${health.backlogDir ?? 'the spool'} and are written first by the next run\n`,
    );
  }
  if (failed.length > spoolFull.length || refusals || health.refusedOnReplay) return EXIT.failed;
  return health.backlogBytes > 0 ? EXIT.spooled : EXIT.ok;
}

/** The run's summary, from the outcomes: "written" only for what InfluxDB has, apart from what waits or was refused. */
export function reportOutcomes(
  app: App,
  outcomes: readonly QueryOutcome[],
  io: Io,
  dryRun: boolean,
  health: SinkHealth,
): void {
  const failed = outcomes.filter((o) => !o.ok && !o.aborted);
  const written = outcomes.reduce((sum, o) => addOutcomes(sum, o.written), NOTHING_WRITTEN);
  const windows = outcomes.reduce((sum, o) => sum + o.done.filter((w) => w.fetched).length, 0);
  const refused = refusedPoints(written);
  const what = dryRun
    ? `${written.acknowledged} points printed (dry run)`
    : `${keptPoints(written)} points ${health.backlogBytes > 0 ? `fetched, not all written: ${health.backlogBytes} bytes are kept in the spool for InfluxDB` : 'written'}`;
  app.logger.info(
    `${outcomes.length} queries: ${outcomes.length - failed.length} ok, ${failed.length} failed; ${windows} windows, ${what}` +
      (refused > 0 ? `, ${refused} refused` : ''),
  );
  for (const outcome of failed)
    io.stderr.write(`failed: ${outcome.query.id}: ${outcome.error?.message ?? 'unknown error'}\n`);
}
