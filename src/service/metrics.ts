import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Query } from '../config/plan.js';
import type { FailureOutcome } from '../failures/classify.js';
import type { WindowResult } from '../pipeline/fetchWindow.js';
import type { RateLimiter } from '../radar/limiter.js';

/** The service's Prometheus metrics (served at /metrics); one registry per process. */
export class Metrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'radar_netflows_requests_total',
    help: 'Radar requests by outcome (ok, retry, throttle, fatal)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly retries = new Counter({
    name: 'radar_netflows_retries_total',
    help: 'Radar requests that were tried again',
    registers: [this.registry],
  });
  private readonly throttled = new Counter({
    name: 'radar_netflows_throttled_total',
    help: 'Throttle answers from Radar (429 or its rate-limit code)',
    registers: [this.registry],
  });
  private readonly points = new Counter({
    name: 'radar_netflows_points_written_total',
    help: 'radar_netflows points acknowledged by InfluxDB',
    registers: [this.registry],
  });
  private readonly windows = new Counter({
    name: 'radar_netflows_windows_total',
    help: 'Windows fetched and written, by outcome',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly lastSuccess = new Gauge({
    name: 'radar_netflows_last_success_timestamp_seconds',
    help: 'When each query last completed a run',
    labelNames: ['query'],
    registers: [this.registry],
  });
  private readonly skipped = new Counter({
    name: 'radar_netflows_skipped_ticks_total',
    help: 'Scheduled ticks skipped because the previous run of the job was still going',
    labelNames: ['job'],
    registers: [this.registry],
  });
  private readonly spooled = new Counter({
    name: 'radar_netflows_spooled_points_total',
    help: 'Points put in the disk spool because InfluxDB could not take them',
    registers: [this.registry],
  });
  private readonly replayed = new Counter({
    name: 'radar_netflows_replayed_points_total',
    help: 'Spooled points written to InfluxDB afterwards',
    registers: [this.registry],
  });
  private readonly deadLetters = new Counter({
    name: 'radar_netflows_dead_letter_points_total',
    help: 'Points InfluxDB refused for good, kept in the dead-letter file',
    registers: [this.registry],
  });
  /** Seconds since the epoch of the most recent successful query run, for /readyz. */
  lastSuccessMs: number | undefined;
  /** The same counts as plain numbers, for the radar_service points (see StatsReporter). */
  readonly totals = {
    requests: 0,
    retries: 0,
    throttled: 0,
    points: 0,
    windowsFailed: 0,
    spooled: 0,
    replayed: 0,
    deadLetters: 0,
    skippedTicks: 0,
  };

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'radar_netflows_' });
  }

  spooledPoints(points: number): void {
    this.spooled.inc(points);
    this.totals.spooled += points;
  }

  replayedPoints(points: number): void {
    this.replayed.inc(points);
    this.totals.replayed += points;
  }

  deadLetteredPoints(points: number): void {
    this.deadLetters.inc(points);
    this.totals.deadLetters += points;
  }

  watchSpool(spool: { spoolBytes: number }): void {
    new Gauge({
      name: 'radar_netflows_spool_bytes',
      help: 'Bytes of line protocol waiting in the disk spool',
      registers: [this.registry],
      collect() {
        this.set(spool.spoolBytes);
      },
    });
  }

  watchLimiter(limiter: RateLimiter): void {
    new Gauge({
      name: 'radar_netflows_rate_limit_pause_seconds',
      help: 'Seconds left in the pause after a throttle answer',
      registers: [this.registry],
      collect() {
        this.set(limiter.pausedMs / 1000);
      },
    });
  }

  attempt(outcome: 'ok' | FailureOutcome, willRetry: boolean): void {
    this.requests.inc({ outcome });
    this.totals.requests++;
    if (outcome === 'throttle') {
      this.throttled.inc();
      this.totals.throttled++;
    }
    if (willRetry) {
      this.retries.inc();
      this.totals.retries++;
    }
  }

  windowDone(result: WindowResult): void {
    this.windows.inc({ outcome: 'ok' });
    this.points.inc(result.points);
    this.totals.points += result.points;
  }

  windowFailed(): void {
    this.windows.inc({ outcome: 'failed' });
    this.totals.windowsFailed++;
  }

  querySucceeded(query: Query, atMs: number): void {
    this.lastSuccess.set({ query: query.id }, atMs / 1000);
    this.lastSuccessMs = Math.max(this.lastSuccessMs ?? 0, atMs);
  }

  tickSkipped(job: string): void {
    this.skipped.inc({ job });
    this.totals.skippedTicks++;
  }
}
