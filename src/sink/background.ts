import type { Logger } from '../log.js';
import type { Point } from '../model/point.js';
import type { PointSink } from './sink.js';

/**
 * Writes nobody waits for (the service's stats, the records of failed requests), one at a time per
 * kind, so that they never pile up behind each other (149 parked stats writes in 2 s, once, with the
 * spool full) nor wake all at once. What is asked for while a write is under way waits as one pending
 * batch: `latest` keeps only the newest (stats are totals: the newest says it all), `all` keeps every
 * point up to `maxPending` (records), then counts the rest as skipped. A failure is logged once,
 * until a write succeeds again.
 */
export class BackgroundWriter {
  private inFlight: Promise<void> | undefined;
  private pending: Point[] = [];
  private failing = false;
  /** Points given up because the pending batch was full (or replaced, for `latest`). */
  skipped = 0;

  constructor(
    private readonly sink: PointSink,
    private readonly logger: Logger,
    /** For the log: "service stats", "the records of failed requests". */
    private readonly what: string,
    private readonly keep: 'latest' | 'all' = 'all',
    private readonly maxPending = 1000,
  ) {}

  /** Writes the points now, or after the write under way; never rejects. */
  write(points: readonly Point[]): void {
    if (this.keep === 'latest') {
      this.skipped += this.pending.length > 0 ? 1 : 0;
      this.pending = [...points];
    } else {
      const room = Math.max(0, this.maxPending - this.pending.length);
      this.pending.push(...points.slice(0, room));
      this.skipped += Math.max(0, points.length - room);
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
        if (this.failing) this.logger.info(`${this.what} written again`);
        this.failing = false;
      } catch (error) {
        if (!this.failing) this.logger.warn(`could not write ${this.what}: ${(error as Error).message}`);
        this.failing = true;
      }
    }
  }
}
