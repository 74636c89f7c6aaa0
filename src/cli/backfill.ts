import { commandApp } from './commandApp.js';
import { openState } from '../app/state.js';
import { selectQueries } from './select.js';
import { UsageError } from '../errors.js';
import { backfillPlanSummary, planBackfill, runBackfill } from '../pipeline/backfill.js';
import { parseTimeArg, type CommandLine } from './args.js';
import type { Io } from './io.js';
import { runOneShot } from './oneShot.js';

/** History in grid windows, resumable, with progress on stderr. */
export async function backfillCommand(cli: CommandLine, io: Io): Promise<number> {
  const app = commandApp(cli, io);
  const queries = selectQueries(app.queries, cli);
  if (cli.from === undefined)
    throw new UsageError('backfill needs --from (e.g. --from 2025-01-01 or --from 365d)');
  const nowMs = app.clock.nowMs();
  const fromMs = parseTimeArg('--from', cli.from, nowMs);
  const toMs = Math.min(cli.to === undefined ? nowMs : parseTimeArg('--to', cli.to, nowMs), nowMs);
  if (fromMs >= toMs) throw new UsageError(`--from must be before --to (and before now)`);
  const store = openState(app, cli.dryRun, 'backfill');
  const plan = planBackfill(queries, fromMs, toMs, store, cli.refetch);
  io.stderr.write(`${backfillPlanSummary(plan, fromMs, toMs, app.settings.radar.rateLimitPer5Min)}\n`);
  return runOneShot(app, cli, io, store, queries, {
    command: 'backfill',
    windows: plan.totalWindows,
    resume: 'run the same command again to resume',
    run: (deps, signal, windowDone) => runBackfill(plan, deps, store, windowDone, signal),
  });
}
