import {
  loadApp,
  oneShotSpoolWaitMs,
  closePipeline,
  openPipeline,
  openState,
  selectQueries,
  type App,
  type Pipeline,
} from '../app.js';
import { SpoolFullError } from '../sink/sink.js';
import {
  addOutcomes,
  describeRefusals,
  keptPoints,
  NOTHING_WRITTEN,
  refusedPoints,
  type SinkHealth,
} from '../sink/outcome.js';
import { ServiceError, UsageError } from '../errors.js';
import { definitionChanges } from '../pipeline/definition.js';
import { StateStore } from '../state/store.js';
import { isoSeconds } from '../util/time.js';
import { formatDuration } from '../util/time.js';
import type { Query } from '../model/query.js';
import { runFromCheckpoint, windowsDue } from '../pipeline/scheduledRun.js';
import type { WindowObserver } from '../pipeline/deps.js';
import { Progress } from './progress.js';
import { onStopSignal } from './signals.js';
import type { QueryOutcome } from '../pipeline/runQuery.js';
import { namesBudget, scheduleBudget, type Budget } from '../service/budget.js';
import type { CommandLine } from './args.js';
import { EXIT, type Io } from './io.js';

export function validateCommand(cli: CommandLine, io: Io): number {
  const app = loadApp(cli.config, io.env);
  const jobs = new Set(app.queries.map((q) => q.job)).size;
  // The config against the state directory it would run with: a query whose definition changed
  // would be refused at start, so it is refused here first.
  const changes = definitionChanges(StateStore.openReadOnly(app.settings.stateDir), app.queries);
  if (changes) throw new UsageError(changes);
  io.stdout.write(`${cli.config}: valid (${jobs} jobs, ${app.queries.length} queries)\n`);
  return EXIT.ok;
}

/**
 * Forgets the checkpoints and backfill progress of the selected queries (`--job` is required: a reset
 * is always asked for by name), so that their next run starts from their look-back: the way on when
 * a job's definition changed and it is to keep its name.
 */
export async function resetCommand(cli: CommandLine, io: Io): Promise<number> {
  const app = loadApp(cli.config, io.env);
  if (cli.jobs.length === 0)
    throw new UsageError('reset needs --job: the job whose queries start again from their look-back');
  const queries = selectQueries(app.queries, cli);
  const store = openState(app, false, 'reset');
  try {
    for (const query of queries) {
      const saved = store.query(query.id);
      await store.resetQuery(query.id);
      const from = isoSeconds(app.clock.nowMs() - query.lookbackMs);
      io.stdout.write(
        `reset ${query.id}: ${saved ? `checkpoint ${isoSeconds(saved.checkpointMs)} forgotten` : 'had no checkpoint'}; ` +
          `its next run starts from its look-back (about ${from})\n`,
      );
    }
    const job = queries[0]!.job.replace(/'/g, "\\'");
    io.stdout.write(
      `InfluxDB keeps what was written before under the same tags: the next runs rewrite the buckets from ` +
        `the look-back on with the new definition, and older buckets keep the old one's values. To remove ` +
        `those: DELETE FROM radar_netflows WHERE "job" = '${job}' AND time < '<the look-back start>' (InfluxQL)\n`,
    );
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

export function planCommand(cli: CommandLine, io: Io): number {
  const app = loadApp(cli.config, io.env);
  const queries = selectQueries(app.queries, cli);
  const rows = queries.map((q) => [
    q.id,
    q.series.map((s) => s.name + describeFilters(s.filters)).join(' + '),
    q.normalization,
    q.limitPerGroup === undefined ? '-' : String(q.limitPerGroup),
    q.schedule,
    formatDuration(q.windowMs),
    formatDuration(q.lookbackMs),
  ]);
  io.stdout.write(
    formatTable(['query', 'series', 'normalization', 'limit', 'schedule', 'window', 'lookback'], rows),
  );
  const changes = definitionChanges(StateStore.openReadOnly(app.settings.stateDir), app.queries);
  if (changes) io.stdout.write(`warning: ${changes}\n`);
  const budget = scheduleBudget(queries);
  const limit = app.settings.radar.rateLimitPer5Min;
  io.stdout.write(
    `${queries.length} queries; once caught up, about ${Math.round(budget.requestsPerHour)} requests per hour, ` +
      `${budget.requestsPer5Min.toFixed(1)} per 5 minutes on average (limit ${limit}; Cloudflare's is 1200), up to ${budget.burst} due at once\n`,
  );
  const names = namesBudget(queries);
  if (names.requestsPerRefresh > 0)
    io.stdout.write(
      `names of the ${names.dimensions.join(', ')} groups: about ${names.requestsPerRefresh} requests at the first run ` +
        `(up to ~${names.keys} group keys, 50 a request; every location in one), then as many once a week ` +
        `(${(names.requestsPerRefresh / 7).toFixed(1)} a day) and one per dimension when a run sees a new group ` +
        `or one Radar had no name for a day before; in the same rate limit\n`,
    );
  const warning = budgetWarning(budget, limit);
  if (warning) io.stdout.write(`${warning}\n`);
  return EXIT.ok;
}

/** What plan and run say when the schedules ask for more than the rate limit gives. */
export function budgetWarning(budget: Budget, limit: number): string | undefined {
  if (budget.requestsPer5Min > limit)
    return `warning: the schedules need more requests than radar.rateLimit allows (${budget.requestsPer5Min.toFixed(1)} > ${limit} per 5 minutes): runs will fall behind`;
  if (budget.burst > limit)
    return `note: ${budget.burst} requests fall due at once, more than the ${limit} per 5 minutes; they are spread over several 5-minute spans`;
  return undefined;
}

function describeFilters(filters: Query['series'][number]['filters']): string {
  const parts = Object.entries(filters).map(([name, items]) => `${name}=${(items ?? []).join(',')}`);
  return parts.length > 0 ? ` (${parts.join(' ')})` : '';
}

export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd() + '\n';
  return line(header) + rows.map(line).join('');
}

/** Every selected query once, from its checkpoint (or its lookback) up to now, then a summary. */
export async function onceCommand(cli: CommandLine, io: Io): Promise<number> {
  const app = loadApp(cli.config, io.env);
  const queries = selectQueries(app.queries, cli);
  const store = openState(app, cli.dryRun, 'once');
  const deps = await openPipeline(app, {
    dryRun: cli.dryRun,
    stdout: io.stdout,
    oneShot: true,
    freshState: store.isFresh,
    store,
  });
  const interrupt = new AbortController();
  const removeHandlers = onStopSignal((signal) => {
    io.stderr.write(
      `\n${signal}: finishing the windows in flight; run once again to carry on from the checkpoints\n`,
    );
    interrupt.abort();
    deps.names?.stop();
  }, io);
  const nowMs = app.clock.nowMs();
  // A long catch-up says how far it is, and what it waits for, as log lines: every half minute at least.
  const progress = new Progress(
    'once',
    queries.reduce((sum, q) => sum + windowsDue(q, store, nowMs).length, 0),
    io.stderr,
    app.clock,
    {
      windowsPer5Min: app.settings.radar.rateLimitPer5Min,
      everyMs: Infinity,
      waiting: () => deps.limiter.waiting,
      write: (line) => app.logger.info(line),
    },
  ).start();
  const counting = { ...deps, observer: countingObserver(progress) };
  try {
    const outcomes = await Promise.all(
      queries.map((q) => runFromCheckpoint(q, counting, store, interrupt.signal)),
    );
    return await finishOneShot(app, deps, outcomes, io, {
      queries,
      dryRun: cli.dryRun,
      interrupted: interrupt.signal.aborted,
    });
  } finally {
    progress.finish();
    removeHandlers();
    await closePipeline(deps);
    await store.close();
  }
}

function countingObserver(progress: Progress): WindowObserver {
  return {
    windowDone: (result) => progress.tick(keptPoints(result.written)),
    windowFailed: () => undefined,
    windowIncomplete: () => undefined,
  };
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
