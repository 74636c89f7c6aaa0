import { hostname } from 'node:os';
import { IntField, type Point } from '../model/point.js';
import type { Logger } from '../log.js';
import type { PointSink } from '../sink/sink.js';
import { BackgroundWriter } from '../sink/background.js';
import type { Clock } from '../util/time.js';
import type { Query } from '../model/query.js';
import { stalenessLimitMs } from './budget.js';
import type { Metrics } from './metrics.js';

export const SERVICE_MEASUREMENT = 'radar_service';

/**
 * Writes the service's own counters to InfluxDB as `radar_service` points, so that the pipeline
 * dashboard can show retries, 429s, the spool and dead letters with InfluxQL alone (no Prometheus
 * needed). Counters are totals since the process started; dashboards take their differences.
 *
 * With them, one point per query (tagged job, dimension, agg_interval): how long since its last
 * successful run (`since_success_s`, counted from the start when it has none yet), how long that may
 * be before it counts as stale (`stale_after_s`: service.staleAfter, or twice the query's schedule
 * period if longer) and how many scheduled runs failed in a row (`failed_runs`). The pipeline alert
 * rules read them: InfluxQL has no notion of "now" to compare a last-success time with.
 */
export class StatsReporter {
  private timer: NodeJS.Timeout | undefined;
  private readonly instance = hostname();
  private staleAfterMs = new Map<string, number>();
  private queries: readonly Query[] = [];
  private readonly writes: BackgroundWriter;

  constructor(
    private readonly metrics: Metrics,
    private readonly sink: PointSink,
    private readonly clock: Clock,
    logger: Logger,
    queries: readonly Query[] = [],
    private readonly staleAfterSettingMs = 0,
  ) {
    this.setQueries(queries);
    // While a report still waits (InfluxDB down, the spool full), only the newest one waits behind it.
    this.writes = new BackgroundWriter(sink, logger, 'service stats', 'latest');
  }

  /** The queries reported on (after a reload of jobs.yaml). */
  setQueries(queries: readonly Query[]): void {
    this.queries = queries;
    this.staleAfterMs = new Map(queries.map((q) => [q.id, stalenessLimitMs([q], this.staleAfterSettingMs)]));
  }

  start(everyMs: number): void {
    this.timer = setInterval(() => this.report(), everyMs);
  }

  /** Reports superseded by a newer one while a write was under way. */
  get skippedReports(): number {
    return this.writes.skipped;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.writes.settled();
    this.report();
    await this.writes.settled();
  }

  point(): Point {
    const fields = { ...this.metrics.totals, spool_bytes: this.sink.health().backlogBytes };
    return {
      measurement: SERVICE_MEASUREMENT,
      tags: { instance: this.instance },
      fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, new IntField(v)])),
      timeMs: this.clock.nowMs(),
    };
  }

  /** One point per query: its staleness and failures (see the class comment); ages are monotonic. */
  queryPoints(): Point[] {
    const nowMs = this.clock.nowMs();
    const monoMs = this.clock.monotonicMs();
    return this.queries.map((query) => {
      const status = this.metrics.queryStatus(query.id);
      return {
        measurement: SERVICE_MEASUREMENT,
        tags: {
          instance: this.instance,
          job: query.job,
          dimension: query.dimension,
          agg_interval: query.interval,
        },
        fields: {
          since_success_s: new IntField(
            Math.round((monoMs - (status.lastSuccessMonoMs ?? this.metrics.startedMonoMs)) / 1000),
          ),
          stale_after_s: new IntField(Math.round(this.staleAfterMs.get(query.id)! / 1000)),
          failed_runs: new IntField(status.failedRunsInARow),
        },
        timeMs: nowMs,
      };
    });
  }

  private report(): void {
    this.writes.write([this.point(), ...this.queryPoints()]);
  }
}
