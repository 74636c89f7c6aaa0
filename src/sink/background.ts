import type { Logger } from '../log.js';
import type { Point } from '../model/point.js';
import type { PointSink } from './sink.js';

/**
 * Writes nobody waits for (the service's stats, the records of failed requests), one at a time per
 * kind, so that they never pile up behind each other (149 parked stats writes in 2 s, once, with the
 * spool full) nor wake all at once. What is asked for while a write is under way waits as one pending
 * batch: `latest` keeps only the newest (stats are totals: the newest says it all), `all` keeps every
 * point up to `maxPending` (records), then drops the rest, saying so once per streak and counting
 * them (`onDropped`: /metrics). A failure is logged once, until a write succeeds again.
 */
export class BackgroundWriter {
  private inFlight: Promise<void> | undefined;
  private pending: Point[] = [];
  private failing = false;
  private dropping = false;
  /** Points given up because the pending batch was full (or replaced, for `latest`). */
  skipped = 0;

  constructor(
    private readonly sink: PointSink,
    private readonly logger: Logger,
    /** For the log: "service stats", "the records of failed requests". */
    private readonly what: string,
    private readonly keep: 'latest' | 'all' = 'all',
    private readonly maxPending = 1000,
    /** Told of every point given up for want of room (`all`): counted on /metrics. */
    private readonly onDropped: (points: number) => void = () => undefined,
  ) {}

  /** Writes the points now, or after the write under way; never rejects. */
  write(points: readonly Point[]): void {
    if (this.keep === 'latest') {
      this.skipped += this.pending.length > 0 ? 1 : 0;
      this.pending = [...points];
    } else {
      const room = Math.max(0, this.maxPending - this.pending.length);
      this.pending.push(...points.slice(0, room));
      const dropped = Math.max(0, points.length - room);
      if (dropped > 0) {
        // Said once per streak (until a write goes through again), counted every time.
        if (!this.dropping)
          this.logger.warn(
            `${this.what}: ${this.maxPending} wait for the database already; further ones are dropped (counted in radar_netflows_background_points_dropped_total) until a write goes through`,
          );
        this.dropping = true;
        this.skipped += dropped;
        this.onDropped(dropped);
      }
    }
    this.inFlight ??= this.writePending().finally(() => (this.inFlight = undefined));
  }

  /** Resolves once nothing is under way or pending. */
  async settled(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  private async writePending(): Promise<void> {
    while (this.pending.length > 0) {
      const points = this.pending;
      this.pending = [];
      try {
        await this.sink.write({ groups: [], points });
        if (this.failing || this.dropping) this.logger.info(`${this.what} written again`);
        this.failing = false;
        this.dropping = false;
      } catch (error) {
        if (!this.failing) this.logger.warn(`could not write ${this.what}: ${(error as Error).message}`);
        this.failing = true;
      }
    }
  }
}
