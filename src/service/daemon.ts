import { setMaxListeners } from 'node:events';
import type { Logger } from '../log.js';
import type { ServiceSettings } from '../model/settings.js';
import type { PipelineDeps } from '../pipeline/deps.js';
import type { Clock } from '../util/time.js';
import type { Query } from '../model/query.js';
import { runFromCheckpoint } from '../pipeline/scheduledRun.js';
import type { StateStore } from '../state/store.js';
import { sleep } from '../util/time.js';
import type { Metrics } from './metrics.js';
import { CronSchedule, WallClockWatch } from './cronSchedule.js';
import { keptPoints } from '../sink/outcome.js';

/** What the daemon runs: the queries, the service settings, and the shared pipeline to run them with. */
export interface DaemonContext {
  queries: readonly Query[];
  service: ServiceSettings;
  logger: Logger;
  clock: Clock;
}

/** The pipeline, and the switch that abandons what is still in flight when the grace period ends. */
export type DaemonPipeline = PipelineDeps & { cancel: AbortController };

/**
 * `radar-netflows run`: one cron schedule per job and schedule (a job's intervals may run on different
 * schedules: see DEFAULT_SCHEDULE). Runs of one never overlap: a tick that finds the previous run still
 * going is skipped and counted. stop() lets the windows in flight finish (no new window starts)
 * within the grace period.
 */
export class Daemon {
  private readonly schedules: CronSchedule[] = [];
  private watch: WallClockWatch | undefined;
  /** By query id: the query as its run started (its definition), and the run. */
  private readonly running = new Map<string, { query: Query; run: Promise<void> }>();
  private readonly shutdown = new AbortController();

  constructor(
    private app: DaemonContext,
    private readonly deps: DaemonPipeline,
    private readonly store: StateStore,
    private readonly metrics: Metrics,
  ) {
    // Every query's run listens to the shutdown signal: more than node's default of 10 is normal.
    setMaxListeners(0, this.shutdown.signal);
  }

  start(): void {
    const { queries, service } = this.app;
    this.schedule(queries, new Set(service.runOnStart ? queries.map((q) => q.id) : []));
  }

  /**
   * Runs `queries` from now on instead (SIGHUP: jobs.yaml read again): the schedules are made anew;
   * runs under way finish as they are. Queries that are new run at once when runOnStart is set.
   */
  reload(queries: readonly Query[]): void {
    const before = new Set(this.app.queries.map((q) => q.id));
    for (const schedule of this.schedules.splice(0)) schedule.stop();
    this.app = { ...this.app, queries };
    const added = queries.filter((q) => !before.has(q.id)).map((q) => q.id);
    this.schedule(queries, new Set(this.app.service.runOnStart ? added : []));
  }

  /** A schedule per job and schedule; the groups holding a query of `runNow` also run at once. */
  private schedule(all: readonly Query[], runNow: ReadonlySet<string>): void {
    const { service } = this.app;
    const watch = (this.watch ??= new WallClockWatch(this.app.clock, this.app.logger));
    for (const [name, queries] of groupBySchedule(all)) {
      const { job, schedule, timezone } = queries[0]!;
      const cronSchedule = new CronSchedule(
        schedule,
        timezone,
        () => this.tick(name, queries),
        this.app.clock,
        watch,
        service.jitterMs,
      );
      cronSchedule.start();
      this.schedules.push(cronSchedule);
      this.app.logger.info(`scheduled job ${name}: "${schedule}" (${timezone}), ${queries.length} queries`, {
        job,
      });
      if (queries.some((q) => runNow.has(q.id))) this.tick(name, queries);
    }
  }

  /**
   * Starts a run of the queries `name` stands for (see groupBySchedule) unless one is still going.
   * Never throws: failures are logged per window.
   */
  tick(name: string, queries: readonly Query[]): void {
    if (this.shutdown.signal.aborted) return;
    const job = queries[0]?.job ?? name;
    // Runs are kept by query, not by schedule: a reload that renames a schedule (or moves a query to
    // another) never starts a second run of a query still running.
    const idle = queries.filter((q) => !this.running.has(q.id));
    if (idle.length < queries.length) {
      this.metrics.tickSkipped(job);
      this.app.logger.warn(
        `previous run of ${name} still going: tick skipped${idle.length > 0 ? ` for ${queries.length - idle.length} of its ${queries.length} queries` : ''}`,
        { job },
      );
      if (idle.length === 0) return;
    }
    const run = this.runJob(name, idle).finally(() => {
      for (const query of idle) this.running.delete(query.id);
    });
    for (const query of idle) this.running.set(query.id, { query, run });
  }

  /** The queries running now, as they were when their run started (their definitions). */
  get runningQueries(): Query[] {
    return [...this.running.values()].map((r) => r.query);
  }

  /**
   * Called when a run finds that no later run can succeed: `settings` when Radar or InfluxDB refused
   * the credentials (or a setting such as the bucket), which a restart does not mend; `state` when
   * this process may no longer write its state directory (removed, or locked by another), which a
   * restart does.
   */
  onFatal: (error: Error, kind: 'settings' | 'state') => void = () => undefined;

  private async runJob(name: string, queries: readonly Query[]): Promise<void> {
    const startedMs = this.app.clock.nowMs();
    const tally = { failed: 0, windows: 0, points: 0 };
    await Promise.all(
      queries.map(async (query) => {
        try {
          const outcome = await runFromCheckpoint(query, this.deps, this.store, this.shutdown.signal);
          if (outcome.ok) this.metrics.querySucceeded(query);
          else if (!outcome.aborted) {
            tally.failed++;
            this.metrics.queryFailed(query);
          }
          tally.windows += outcome.done.filter((w) => w.fetched).length;
          tally.points += keptPoints(outcome.written);
        } catch (error) {
          tally.failed++;
          this.metrics.queryFailed(query);
          // State could not be saved, or a bug: the daemon carries on; the next tick tries again.
          this.app.logger.error(`query run failed: ${(error as Error).message}`, {
            job: query.job,
            dimension: query.dimension,
            interval: query.interval,
          });
        }
      }),
    );
    const job = queries[0]?.job;
    this.app.logger.log(
      tally.failed > 0 ? 'warn' : 'info',
      `job ${name} ran: ${queries.length} queries, ${tally.failed} failed; ${tally.windows} windows, ${tally.points} points, ${this.app.clock.nowMs() - startedMs} ms`,
      { job },
    );
    if (this.shutdown.signal.aborted) return;
    const refused = this.deps.client.refusedCredentials;
    if (refused) return this.onFatal(refused, 'settings');
    // The names of the groups written: in the background, so that the next tick never waits for them.
    void this.deps.names?.refresh();
    // InfluxDB refusing our credentials, or a setting (a bucket that does not exist): no retry mends it.
    const fatal = this.deps.sink.health().fatal;
    if (fatal) return this.onFatal(new Error(fatal.message), 'settings');
    const lost = this.store.lost;
    if (lost)
      this.onFatal(
        new Error(`the state directory ${this.store.dir} cannot be used any more: ${lost}`),
        'state',
      );
  }

  /**
   * Stops scheduling and waits for runs in flight up to graceMs; true when they all finished. After
   * the grace period, waits and retries are abandoned: those windows are fetched again next time.
   */
  async stop(): Promise<boolean> {
    for (const schedule of this.schedules) schedule.stop();
    this.shutdown.abort();
    this.deps.names?.stop();
    const inFlight = [
      ...new Set([...this.running.values()].map((r) => r.run)),
      ...(this.deps.names ? [this.deps.names.idle()] : []),
    ];
    if (inFlight.length === 0) return true;
    this.app.logger.info(`waiting up to ${this.app.service.graceMs} ms for ${inFlight.length} running jobs`);
    const graceOver = new AbortController();
    const all = Promise.all(inFlight);
    try {
      const finished = await Promise.race([
        all.then(() => true),
        sleep(this.app.service.graceMs, graceOver.signal).then(() => false),
      ]);
      if (!finished) {
        this.deps.cancel.abort();
        await all;
      }
      return finished;
    } finally {
      graceOver.abort(); // no timer may keep the process alive after shutdown
    }
  }
}

/**
 * The queries that run together: those of one job on one schedule (and time zone). Named after the
 * job alone when all its queries share the schedule, else after the job and the intervals, e.g.
 * `world 1d,1w`.
 */
export function groupBySchedule(queries: readonly Query[]): Map<string, Query[]> {
  const named = new Map<string, Query[]>();
  for (const [job, ofJob] of groupBy(queries, (q) => q.job)) {
    const bySchedule = groupBy(ofJob, (q) => `${q.schedule}\u0000${q.timezone}`);
    for (const group of bySchedule.values()) {
      const intervals = [...new Set(group.map((q) => q.interval))].join(',');
      named.set(bySchedule.size > 1 ? `${job} ${intervals}` : job, group);
    }
  }
  return named;
}

/** Items by key, in the order each key first appears. */
function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
