import { commandApp } from './commandApp.js';
import { openState } from '../app/state.js';
import { selectQueries } from './select.js';
import { UsageError } from '../errors.js';
import { definitionChanges, describeFilters } from '../pipeline/definition.js';
import { StateStore } from '../state/store.js';
import { formatDuration, isoSeconds } from '../util/time.js';
import { namesBudget, scheduleBudget, type Budget } from '../service/budget.js';
import type { CommandLine } from './args.js';
import { EXIT, type Io } from './io.js';

export function validateCommand(cli: CommandLine, io: Io): number {
  const app = commandApp(cli, io);
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
  const app = commandApp(cli, io);
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
  const app = commandApp(cli, io);
  const queries = selectQueries(app.queries, cli);
  const rows = queries.map((q) => [
    q.id,
    q.series
      .map((s) => (Object.keys(s.filters).length > 0 ? `${s.name} ${describeFilters(s.filters)}` : s.name))
      .join(' + '),
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

export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd() + '\n';
  return line(header) + rows.map(line).join('');
}
