import type { Logger } from '../log.js';
import { sleep } from '../util/time.js';
import type { DeadLetters } from './deadLetters.js';
import { InfluxWriteError, type PointSink } from './sink.js';
import type { DiskSpool } from './spool.js';

export interface DeliveryObserver {
  spooledPoints(points: number): void;
  replayedPoints(points: number): void;
  deadLetteredPoints(points: number): void;
}

export interface DeliveryOptions {
  /** Past this many spooled bytes, write() waits for replay to make room (back-pressure, never drop). */
  maxSpoolBytes: number;
  /** Replay backoff while InfluxDB does not take writes. */
  retryMinDelayMs?: number;
  retryMaxDelayMs?: number;
  observer?: DeliveryObserver;
}

/**
 * The one retry layer for writes (design.md, "Sink"). write() resolves once the points are in
 * InfluxDB, or safely in the disk spool when InfluxDB cannot take them now (unreachable, slow, 5xx,
 * 429), or in the dead-letter file when InfluxDB refuses them for good (400/422); it rejects only for
 * a fatal answer (bad credentials, no such database), which no retry can mend. While anything is
 * spooled, new points queue behind it, so InfluxDB receives them in order.
 */
export class DeliveringSink implements PointSink {
  readonly description: string;
  private replaying: Promise<void> | undefined;
  private readonly stopped = new AbortController();
  private readonly spaceWaiters: (() => void)[] = [];

  constructor(
    private readonly inner: PointSink,
    private readonly spool: DiskSpool,
    readonly deadLetters: DeadLetters,
    private readonly logger: Logger,
    private readonly options: DeliveryOptions,
  ) {
    this.description = `${inner.description} (spool ${spool.dir})`;
    if (!spool.isEmpty)
      this.logger.info(`spool holds ${spool.bytes} bytes from before: replaying them first`);
  }

  get spoolBytes(): number {
    return this.spool.bytes;
  }

  get spoolFull(): boolean {
    return this.spool.bytes >= this.options.maxSpoolBytes;
  }

  async write(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    if (!this.spool.isEmpty) return this.enqueue(lines);
    await this.deliver(lines, () => this.enqueue(lines));
  }

  /** Starts replaying the spool (if it is not already) and resolves when it is empty or stop() is called. */
  drain(): Promise<void> {
    if (this.spool.isEmpty) return Promise.resolve();
    this.replaying ??= this.replay().finally(() => (this.replaying = undefined));
    return this.replaying;
  }

  async close(): Promise<void> {
    this.stopped.abort();
    await this.replaying;
    await this.inner.close();
  }

  private async enqueue(lines: readonly string[]): Promise<void> {
    while (this.spoolFull && !this.stopped.signal.aborted) {
      this.logger.warn(`spool full (${this.spool.bytes} bytes): waiting for InfluxDB before fetching more`);
      void this.drain();
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    }
    this.spool.append(lines);
    this.options.observer?.spooledPoints(lines.length);
    void this.drain();
  }

  /**
   * Writes lines; a retryable failure hands them to `onRetryable`; a refusal for good is narrowed
   * down by halves so that only the refused lines are dead-lettered (InfluxDB 1.x writes the good
   * lines of a batch with a bad one; writing them again is harmless).
   */
  private async deliver(lines: readonly string[], onRetryable: () => Promise<void>): Promise<void> {
    try {
      await this.inner.write(lines);
    } catch (error) {
      if (!(error instanceof InfluxWriteError)) throw error;
      if (error.outcome === 'retry' || error.outcome === 'throttle') return onRetryable();
      if (error.outcome !== 'drop') throw error;
      if (lines.length === 1) {
        this.deadLetters.add(lines, error.message);
        this.options.observer?.deadLetteredPoints(1);
        this.logger.error(
          `InfluxDB refused a point for good; kept in ${this.deadLetters.file}: ${error.message}`,
        );
        return;
      }
      const half = Math.ceil(lines.length / 2);
      await this.deliver(lines.slice(0, half), () => onRetryable());
      await this.deliver(lines.slice(half), () => onRetryable());
    }
  }

  private async replay(): Promise<void> {
    let delayMs = this.options.retryMinDelayMs ?? 500;
    while (!this.spool.isEmpty && !this.stopped.signal.aborted) {
      const segment = this.spool.oldest();
      if (!segment) break;
      let retry = false;
      try {
        await this.deliver(segment.lines, async () => {
          retry = true;
        });
      } catch (error) {
        // Refused as a whole (credentials, missing database): keep the points until someone mends it.
        this.logger.error(`replaying the spool failed: ${(error as Error).message}`);
        retry = true;
      }
      if (retry) {
        this.logger.warn(
          `InfluxDB still cannot take writes; ${this.spool.bytes} bytes wait in the spool, next try in ${delayMs} ms`,
        );
        await sleep(delayMs, this.stopped.signal);
        delayMs = Math.min(delayMs * 2, this.options.retryMaxDelayMs ?? 30_000);
        continue;
      }
      this.spool.remove(segment.seq);
      this.options.observer?.replayedPoints(segment.lines.length);
      delayMs = this.options.retryMinDelayMs ?? 500;
      for (const wake of this.spaceWaiters.splice(0)) wake();
      if (this.spool.isEmpty) this.logger.info('spool replayed: InfluxDB is up to date');
    }
    for (const wake of this.spaceWaiters.splice(0)) wake();
  }
}
