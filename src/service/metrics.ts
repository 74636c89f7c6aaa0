import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Query } from '../model/query.js';
import type { FailureOutcome } from '../failures/classify.js';
import type { RateLimiter } from '../radar/limiter.js';
import { refusedPoints, type SinkHealth, type WriteOutcome } from '../sink/outcome.js';
import { systemClock, type Clock } from '../util/time.js';

/** The service's counts, as plain numbers; named as the fields of the radar_service points. */
export interface Totals {
  requests_total: number;
  retries_total: number;
  throttled_total: number;
  points_written_total: number;
  windows_failed_total: number;
  incomplete_windows_total: number;
  spooled_points_total: number;
  replayed_points_total: number;
  dead_letter_points_total: number;
  skipped_ticks_total: number;
  background_points_dropped_total: number;
}

export interface QueryStatus {
  /** Monotonic time of the last success: what ages are measured from. */
  lastSuccessMonoMs?: number;
  /** Scheduled runs that failed since the last success (or since the start). */
  failedRunsInARow: number;
}

/**
 * The service's Prometheus metrics (served at /metrics), one registry per process. Every count is
 * also kept in `totals`, which StatsReporter writes to InfluxDB (prom-client reads values back only
 * asynchronously).
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly queries = new Map<string, QueryStatus>();
  readonly totals: Totals = {
    requests_total: 0,
    retries_total: 0,
    throttled_total: 0,
    points_written_total: 0,
    windows_failed_total: 0,
    incomplete_windows_total: 0,
    spooled_points_total: 0,
    replayed_points_total: 0,
    dead_letter_points_total: 0,
    skipped_ticks_total: 0,
    background_points_dropped_total: 0,
  };
  /** The most recent successful query run (monotonic), for /readyz. */
  lastSuccessMonoMs: number | undefined;
  /** When this process started (monotonic): the age of a query that has not succeeded yet. */
  readonly startedMonoMs: number;

  private readonly requests = this.counter(
    'requests_total',
    'Radar requests by outcome (ok, retry, throttle, fatal)',
    ['outcome'],
  );
  private readonly retries = this.counter('retries_total', 'Radar requests that were tried again');
  private readonly throttled = this.counter(
    'throttled_total',
    'Throttle answers from Radar (429 or its rate-limit code)',
  );
  private readonly points = this.counter(
    'points_written_total',
    'Points (lines of every measurement) acknowledged by InfluxDB, replays from the spool included',
  );
  private readonly windows = this.counter('windows_total', 'Windows fetched and written, by outcome', [
    'outcome',
  ]);
  private readonly incomplete = this.counter(
    'incomplete_windows_total',
    "Closed windows whose answer lacked buckets Radar's lastUpdated says exist (fetched again)",
  );
  private readonly skipped = this.counter(
    'skipped_ticks_total',
    'Scheduled ticks skipped because the previous run of the job was still going',
    ['job'],
  );
  private readonly spooled = this.counter(
    'spooled_points_total',
    'Points put in the disk spool because InfluxDB could not take them',
  );
  private readonly replayed_ = this.counter(
    'replayed_points_total',
    'Spooled points written to InfluxDB afterwards',
  );
  private readonly deadLetters = this.counter(
    'dead_letter_points_total',
    'Points kept in the dead-letter file: refused by InfluxDB for good, or not writable as line protocol',
  );
  private readonly backgroundDropped = this.counter(
    'background_points_dropped_total',
    'Points of background writes (records of failed requests) given up because too many waited, by what',
    ['what'],
  );
  /** Radar answers in seconds (a window of data: 0.2 to several seconds); buckets to 30 s, its timeout. */
  private readonly radarSeconds = new Histogram({
    name: 'radar_netflows_radar_request_duration_seconds',
    help: 'How long each request to Radar took, answered or not',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  /** A local InfluxDB answers in milliseconds; buckets to 10 s, its default timeout. */
  private readonly influxSeconds = new Histogram({
    name: 'radar_netflows_influx_write_duration_seconds',
    help: 'How long each write request to InfluxDB took, answered or not',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });
  private readonly lastSuccess = new Gauge({
    name: 'radar_netflows_last_success_timestamp_seconds',
    help: 'When each query last completed a run',
    labelNames: ['query'],
    registers: [this.registry],
  });

  /**
   * The process metrics under their standard names (`process_cpu_seconds_total`, `nodejs_heap_*`),
   * which stock Node.js and process dashboards look for; the service's own under `radar_netflows_`,
   * with `radar_netflows_build_info{version, node}` = 1.
   */
  constructor(
    private readonly clock: Clock = systemClock,
    build: { version: string } = { version: 'unknown' },
  ) {
    this.startedMonoMs = clock.monotonicMs();
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'radar_netflows_build_info',
      help: 'The running version of radar-netflows and of Node.js (always 1)',
      labelNames: ['version', 'node'],
      registers: [this.registry],
    }).set({ version: build.version, node: process.version }, 1);
  }

  attempt(outcome: 'ok' | FailureOutcome, willRetry: boolean): void {
    this.count(this.requests, 'requests_total', 1, { outcome });
    if (outcome === 'throttle') this.count(this.throttled, 'throttled_total');
    if (willRetry) this.count(this.retries, 'retries_total');
  }

  windowDone(): void {
    this.windows.inc({ outcome: 'ok' });
  }

  /** What became of the points of a write (any write of the service: traffic, records, stats). */
  written(outcome: WriteOutcome): void {
    this.count(this.points, 'points_written_total', outcome.acknowledged);
    this.count(this.spooled, 'spooled_points_total', outcome.spooled);
    this.count(this.deadLetters, 'dead_letter_points_total', refusedPoints(outcome));
  }

  /** What became of a segment of the spool written afterwards. */
  replayed(outcome: WriteOutcome): void {
    this.count(this.points, 'points_written_total', outcome.acknowledged);
    this.count(this.replayed_, 'replayed_points_total', outcome.acknowledged);
    this.count(this.deadLetters, 'dead_letter_points_total', refusedPoints(outcome));
  }

  radarRequest(seconds: number): void {
    this.radarSeconds.observe(seconds);
  }

  influxWrite(seconds: number): void {
    this.influxSeconds.observe(seconds);
  }

  /** Points a background writer gave up (BackgroundWriter: more waited than it keeps). */
  droppedInBackground(what: string, points: number): void {
    this.count(this.backgroundDropped, 'background_points_dropped_total', points, { what });
  }

  windowIncomplete(): void {
    this.count(this.incomplete, 'incomplete_windows_total');
  }

  windowFailed(): void {
    this.count(this.windows, 'windows_failed_total', 1, { outcome: 'failed' });
  }

  querySucceeded(query: Query): void {
    const atMs = this.clock.nowMs();
    const atMonoMs = this.clock.monotonicMs();
    this.lastSuccess.set({ query: query.id }, atMs / 1000);
    this.lastSuccessMonoMs = atMonoMs;
    this.queries.set(query.id, { lastSuccessMonoMs: atMonoMs, failedRunsInARow: 0 });
  }

  /** A scheduled run of the query failed (not one cut short by a shutdown). */
  queryFailed(query: Query): void {
    const status = this.queries.get(query.id);
    this.queries.set(query.id, { ...status, failedRunsInARow: (status?.failedRunsInARow ?? 0) + 1 });
  }

  /** Each query's last success and the runs that failed since, for the pipeline alert rules. */
  queryStatus(queryId: string): QueryStatus {
    return this.queries.get(queryId) ?? { failedRunsInARow: 0 };
  }

  tickSkipped(job: string): void {
    this.count(this.skipped, 'skipped_ticks_total', 1, { job });
  }

  watchSink(sink: { health(): SinkHealth }): void {
    this.gauge(
      'spool_bytes',
      'Bytes of line protocol waiting in the disk spool',
      () => sink.health().backlogBytes,
    );
  }

  watchLimiter(limiter: RateLimiter): void {
    this.gauge(
      'rate_limit_pause_seconds',
      'Seconds left in the pause after a throttle answer',
      () => limiter.pausedMs / 1000,
    );
  }

  private counter(name: string, help: string, labelNames: string[] = []): Counter {
    return new Counter({ name: `radar_netflows_${name}`, help, labelNames, registers: [this.registry] });
  }

  private gauge(name: string, help: string, read: () => number): void {
    new Gauge({
      name: `radar_netflows_${name}`,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  private count(counter: Counter, total: keyof Totals, by = 1, labels: Record<string, string> = {}): void {
    counter.inc(labels, by);
    this.totals[total] += by;
  }
}
