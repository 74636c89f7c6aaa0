import { hostname } from 'node:os';
import { IntField, type Point } from '../model/point.js';
import type { Logger } from '../log.js';
import type { PointSink } from '../sink/sink.js';
import type { Clock } from '../util/time.js';
import type { Metrics } from './metrics.js';

export const SERVICE_MEASUREMENT = 'radar_service';

/**
 * Writes the service's own counters to InfluxDB as `radar_service` points, so that the pipeline
 * dashboard can show retries, 429s, the spool and dead letters with InfluxQL alone (no Prometheus
 * needed). Counters are totals since the process started; dashboards take their differences.
 */
export class StatsReporter {
  private timer: NodeJS.Timeout | undefined;
  private readonly instance = hostname();

  constructor(
    private readonly metrics: Metrics,
    private readonly sink: PointSink,
    private readonly spoolBytes: () => number,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  start(everyMs: number): void {
    this.timer = setInterval(() => void this.report(), everyMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.report();
  }

  point(): Point {
    const fields = { ...this.metrics.totals, spool_bytes: this.spoolBytes() };
    return {
      measurement: SERVICE_MEASUREMENT,
      tags: { instance: this.instance },
      fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, new IntField(v)])),
      timeMs: this.clock.nowMs(),
    };
  }

  private async report(): Promise<void> {
    try {
      await this.sink.write({ groups: [], points: [this.point()] });
    } catch (error) {
      this.logger.warn(`could not write service stats: ${(error as Error).message}`);
    }
  }
}
