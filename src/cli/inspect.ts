import { copyFileSync, existsSync } from 'node:fs';
import { type App } from '../app/config.js';
import { commandApp } from './commandApp.js';
import { openState, replayDeadLettersOf, sinkFiles } from '../app/state.js';
import { UsageError } from '../errors.js';
import { windowsDue } from '../pipeline/scheduledRun.js';
import { lockHolder } from '../state/lock.js';
import { StateStore } from '../state/store.js';
import { formatSpan, isoSeconds } from '../util/time.js';
import type { CommandLine } from './args.js';
import { formatTable } from './commands.js';
import { EXIT, type Io } from './io.js';

/**
 * `radar-netflows status`: where each query stands (checkpoint and final range as dates, the windows
 * due, the last success and failure), backfills under way, what waits in the spool and for how long,
 * the dead letters by reason. Read-only and without the lock: safe while `run` runs.
 */
export function statusCommand(cli: CommandLine, io: Io): number {
  const app = commandApp(cli, io);
  const status = readStatus(app);
  if (cli.json) io.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
  else writeStatus(io, status, app.clock.nowMs());
  return EXIT.ok;
}

type Status = ReturnType<typeof readStatus>;

/** Everything `status` tells, read without the lock. */
function readStatus(app: App) {
  const store = StateStore.openReadOnly(app.settings.stateDir);
  const nowMs = app.clock.nowMs();
  const holder = lockHolder(app.settings.stateDir);
  const files = sinkFiles(app);
  const queries = app.queries.map((query) => {
    const saved = store.query(query.id);
    const cursor = store.backfillCursor(query.id);
    return {
      query: query.id,
      checkpoint: saved ? isoSeconds(saved.checkpointMs) : null,
      finalFrom: saved ? isoSeconds(saved.finalFromMs) : null,
      windowsDue: windowsDue(query, store, nowMs).length,
      lastSuccess: saved?.lastSuccessMs !== undefined ? isoSeconds(saved.lastSuccessMs) : null,
      lastFailure: saved?.lastFailure
        ? { at: isoSeconds(saved.lastFailure.atMs), message: saved.lastFailure.message }
        : null,
      backfill: cursor
        ? { from: isoSeconds(cursor.fromMs), next: isoSeconds(cursor.nextMs), refetch: cursor.refetch }
        : null,
      // Windows that may hold groups their newest answer no longer names: removal due (windowAnswers.ts).
      staleWindows: store.windowAnswers(query.id).filter(([, a]) => a.stale).length,
      // Groups × windows left where the database cannot delete points (InfluxDB 3).
      unremovableGroups: store.unremovable(query.id),
    };
  });
  return {
    stateDir: store.dir,
    heldBy: holder
      ? { command: holder.command, pid: holder.pid, host: holder.host, since: isoSeconds(holder.sinceMs) }
      : null,
    queries,
    spool: {
      dir: files.spoolDir,
      bytes: files.spool.bytes,
      segments: files.spool.segments,
      oldestWritten:
        files.spool.oldestWrittenMs !== undefined ? isoSeconds(files.spool.oldestWrittenMs) : null,
    },
    deadLetters: { file: files.deadLetterFile, byReason: files.deadLetters },
  };
}

/** `status` for people: the queries as a table, then what needs a word. */
function writeStatus(io: Io, status: Status, nowMs: number): void {
  const { heldBy, queries, spool } = status;
  io.stdout.write(
    `state directory ${status.stateDir}: ${heldBy ? `in use by "${heldBy.command}" (pid ${heldBy.pid} on ${heldBy.host}, since ${heldBy.since})` : 'not in use'}\n\n`,
  );
  io.stdout.write(
    formatTable(
      ['query', 'checkpoint', 'final from', 'windows due', 'last success', 'last failure'],
      queries.map((q) => [
        q.query,
        q.checkpoint ?? 'none yet',
        q.finalFrom ?? '-',
        String(q.windowsDue),
        q.lastSuccess ?? '-',
        q.lastFailure ? `${q.lastFailure.at}: ${q.lastFailure.message.slice(0, 120)}` : '-',
      ]),
    ),
  );
  for (const q of queries.filter((q) => q.backfill))
    io.stdout.write(
      `backfill under way: ${q.query} from ${q.backfill!.from}, done up to ${q.backfill!.next}${q.backfill!.refetch ? ' (--refetch)' : ''}\n`,
    );
  for (const q of queries.filter((q) => q.staleWindows > 0))
    io.stdout.write(
      `stale groups: ${q.query} has ${q.staleWindows} windows whose earlier answers named groups the newest does not; ` +
        `removed at the next run, once InfluxDB has every earlier write\n`,
    );
  for (const q of queries.filter((q) => q.unremovableGroups > 0))
    io.stdout.write(
      `stale groups kept: ${q.query}: ${q.unremovableGroups} groups stay in windows whose newest answer no longer ` +
        `names them, because this InfluxDB cannot delete points (InfluxDB 3): shares there may add up to more than 100 %\n`,
    );
  io.stdout.write(
    `\nspool ${spool.dir}: ` +
      (spool.bytes === 0 || spool.oldestWritten === null
        ? 'empty (InfluxDB is up to date)'
        : `${spool.bytes} bytes in ${spool.segments} segments wait for InfluxDB, the oldest written ${spool.oldestWritten} (${formatSpan(nowMs - Date.parse(spool.oldestWritten))} ago)`) +
      '\n',
  );
  writeDeadLetters(io, status.deadLetters.file, status.deadLetters.byReason);
}

function writeDeadLetters(io: Io, file: string, byReason: ReturnType<typeof sinkFiles>['deadLetters']): void {
  const total = byReason.reduce((n, r) => n + r.points, 0);
  io.stdout.write(`dead letters ${file}: ${total === 0 ? 'none' : `${total} points`}\n`);
  for (const r of byReason)
    io.stdout.write(
      `  ${String(r.points).padStart(7)}  ${r.reason.slice(0, 160)}  (${r.first} … ${r.last}; ${r.replayable ? 'can be replayed' : 'points no line protocol can carry: not replayable'})\n`,
    );
}

/**
 * `radar-netflows dead-letters`: the dead letters by reason; with --replay (and --reason to choose),
 * written to InfluxDB again once their cause is fixed, removing those it takes. Replaying takes the
 * state directory's lock, as it rewrites the dead-letter file.
 */
export async function deadLettersCommand(cli: CommandLine, io: Io): Promise<number> {
  const app = commandApp(cli, io);
  if (!cli.replay) {
    if (cli.reason !== undefined)
      throw new UsageError('--reason chooses what --replay writes again: give --replay too');
    const { deadLetterFile, deadLetters } = sinkFiles(app);
    if (cli.json)
      io.stdout.write(`${JSON.stringify({ file: deadLetterFile, byReason: deadLetters }, null, 2)}\n`);
    else writeDeadLetters(io, deadLetterFile, deadLetters);
    return EXIT.ok;
  }
  const store = openState(app, false, 'dead-letters');
  try {
    const report = await replayDeadLettersOf(app, store, cli.reason);
    if (cli.json) io.stdout.write(`${JSON.stringify(report)}\n`);
    else
      io.stdout.write(
        `replayed ${report.replayed} points (removed from the dead letters); ${report.refusedAgain} refused again (kept, with the new reason); ` +
          `${report.deferred} not taken now: InfluxDB could not be reached (kept); ${report.notReplayable} cannot be replayed (kept); ${report.untouched} of other reasons untouched` +
          `${report.superseded > 0 ? `; ${report.superseded} of groups their window's newer answer no longer names: dropped, not written` : ''}` +
          `${report.damaged > 0 ? `; ${report.damaged} damaged records (cut short by a crash) kept as they are` : ''}\n`,
      );
    return report.refusedAgain > 0 || report.deferred > 0 ? EXIT.failed : EXIT.ok;
  } finally {
    await store.close();
  }
}

/** `radar-netflows init`: the example jobs.yaml this package ships, copied to --config (./jobs.yaml). */
export function initCommand(cli: CommandLine, io: Io): number {
  if (existsSync(cli.config))
    throw new UsageError(`${cli.config} exists already: init leaves it as it is (use another --config)`);
  copyFileSync(exampleConfig(), cli.config);
  io.stdout.write(
    `wrote ${cli.config}, the example: every dimension and interval, commented. Next: CLOUDFLARE_API_TOKEN=… radar-netflows doctor\n`,
  );
  return EXIT.ok;
}

/** The example jobs.yaml at the root of this package (shipped in it: see package.json "files"). */
export function exampleConfig(): string {
  return new URL('../../jobs.yaml', import.meta.url).pathname;
}
