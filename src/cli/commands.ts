import { loadApp, openPipeline, selectJobs, type App } from '../app.js';
import { formatDuration } from '../config/duration.js';
import type { Query } from '../config/plan.js';
import { runQuery, type QueryOutcome } from '../pipeline/runQuery.js';
import { windowsCovering } from '../windows/grid.js';
import type { CommandLine } from './args.js';

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export function validateCommand(cli: CommandLine, io: Io): number {
  const app = loadApp(cli.config, io.env);
  const jobs = new Set(app.queries.map((q) => q.job)).size;
  io.stdout.write(`${cli.config}: valid (${jobs} jobs, ${app.queries.length} queries)\n`);
  return EXIT.ok;
}

export function planCommand(cli: CommandLine, io: Io): number {
  const app = loadApp(cli.config, io.env);
  const queries = selectJobs(app.queries, cli.jobs);
  const rows = queries.map((q) => [
    q.id,
    q.series.map((s) => s.name + describeFilters(s.filters)).join(' + '),
    q.normalization,
    q.limitPerGroup === undefined ? '-' : String(q.limitPerGroup),
    q.schedule,
    formatDuration(q.windowMs),
    formatDuration(q.lookbackMs),
  ]);
  io.stdout.write(formatTable(['query', 'series', 'normalization', 'limit', 'schedule', 'window', 'lookback'], rows));
  io.stdout.write(`${queries.length} queries\n`);
  return EXIT.ok;
}

function describeFilters(filters: Query['series'][number]['filters']): string {
  const parts = Object.entries(filters).map(([name, items]) => `${name}=${(items ?? []).join(',')}`);
  return parts.length > 0 ? ` (${parts.join(' ')})` : '';
}

export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd() + '\n';
  return line(header) + rows.map(line).join('');
}

/** Every selected query, each over the windows of its lookback up to now, then a summary. */
export async function onceCommand(cli: CommandLine, io: Io): Promise<number> {
  const app = loadApp(cli.config, io.env);
  const queries = selectJobs(app.queries, cli.jobs);
  const deps = await openPipeline(app, { dryRun: cli.dryRun, stdout: io.stdout });
  try {
    const nowMs = app.clock.nowMs();
    const outcomes = await Promise.all(queries.map((q) => runQuery(q, windowsCovering(nowMs - q.lookbackMs, nowMs, q.windowMs), deps)));
    report(app, outcomes, io);
    return outcomes.every((o) => o.ok) ? EXIT.ok : EXIT.failed;
  } finally {
    await deps.sink.close();
  }
}

function report(app: App, outcomes: QueryOutcome[], io: Io): void {
  const failed = outcomes.filter((o) => !o.ok);
  const points = outcomes.reduce((sum, o) => sum + o.points, 0);
  app.logger.info(`${outcomes.length} queries: ${outcomes.length - failed.length} ok, ${failed.length} failed, ${points} points written`);
  for (const outcome of failed) io.stderr.write(`failed: ${outcome.query.id}: ${outcome.error?.message ?? 'unknown error'}\n`);
}
