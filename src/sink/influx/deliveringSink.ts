import { CancelledError, ServiceError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { sleep } from '../../util/time.js';
import type { DeadLetters } from './deadLetters.js';
import { linesInConflict, parseFieldConflict } from './fieldConflict.js';
import { LineBatch } from './lineBatch.js';
import { InfluxWriteError, type LineWriter } from './lineWriter.js';
import type { DiskSpool } from './spool.js';

export interface DeliveryObserver {
  /** Lines InfluxDB acknowledged, replays included. */
  writtenPoints(points: number): void;
  spooledPoints(points: number): void;
  replayedPoints(points: number): void;
  deadLetteredPoints(points: number): void;
}

export interface DeliveryOptions {
  /** Past this many spooled bytes, write() waits for replay to make room (back-pressure, never drop). */
  maxSpoolBytes: number;
  /**
   * How long a write waits for room in a full spool before it fails with SpoolFullError (one-shot
   * commands, which must end); unset: as long as it takes (the service).
   */
  fullSpoolWaitMs?: number;
  /** Aborting it fails every write still waiting for room (the end of a shutdown's grace period). */
  signal?: AbortSignal;
  /** Replay backoff while InfluxDB does not take writes. */
  retryMinDelayMs?: number;
  retryMaxDelayMs?: number;
  observer?: DeliveryObserver;
}

/** The spool stayed full for as long as a one-shot command may wait: these points were not kept. */
export class SpoolFullError extends ServiceError {
  constructor(message: string) {
    super('spool_full', message, { retryable: true });
  }
}

/**
 * The one retry layer for writes (design.md, "Sink"). write() resolves once the points are in
 * InfluxDB, or safely in the disk spool when InfluxDB cannot take them now (unreachable, slow, 5xx,
 * 429), or in the dead-letter file when InfluxDB refuses them for good (400/422). It rejects when the
 * points are not kept: a fatal answer (bad credentials), the spool's disk failing, a spool full for too
 * long, or a shutdown. While anything is spooled, new points queue behind it, so InfluxDB receives
 * them in order.
 */
export class DeliveringSink implements LineWriter {
  readonly description: string;
  /** InfluxDB's last fatal answer (credentials, permissions): no retry can mend it, every write fails. */
  fatalError: InfluxWriteError | undefined;
  /** Why InfluxDB last failed to take a write, for logs, summaries and /readyz. */
  lastWriteError: string | undefined;
  private replaying: Promise<void> | undefined;
  private readonly stopped = new AbortController();
  private readonly spaceWaiters = new Set<() => void>();
  /** A one-shot command waited its time for room once: later writes fail at once. */
  private gaveUpOnRoom = false;

  constructor(
    private readonly inner: LineWriter,
    private readonly spool: DiskSpool,
    readonly deadLetters: DeadLetters,
    private readonly logger: Logger,
    private readonly options: DeliveryOptions,
  ) {
    this.description = `${inner.description} (spool ${spool.dir})`;
    if (!spool.isEmpty)
      this.logger.info(`spool holds ${spool.bytes} bytes from before: replaying them first`);
    options.signal?.addEventListener('abort', () => this.wakeWriters(), { once: true });
  }

  get spoolBytes(): number {
    return this.spool.bytes;
  }

  get spoolFull(): boolean {
    return this.spool.bytes >= this.options.maxSpoolBytes;
  }

  async write(batch: LineBatch): Promise<void> {
    if (batch.count === 0) return;
    if (!this.spool.isEmpty) {
      // Points queue behind the spool; while InfluxDB refuses us for good they would only pile up.
      if (this.fatalError) throw this.fatalError;
      return this.enqueue(batch);
    }
    await this.deliver(batch, (error) => {
      if (this.spool.isEmpty)
        this.logger.warn(`InfluxDB cannot take writes now (${error.message}): keeping points in the spool`);
      return this.enqueue(batch);
    });
  }

  /** Starts replaying the spool (if it is not already) and resolves when it is empty or stop() is called. */
  drain(): Promise<void> {
    if (this.spool.isEmpty) return Promise.resolve();
    this.replaying ??= this.replay().finally(() => (this.replaying = undefined));
    return this.replaying;
  }

  async close(): Promise<void> {
    this.stopped.abort();
    this.wakeWriters();
    await this.replaying;
    await this.inner.close();
  }

  private async enqueue(batch: LineBatch): Promise<void> {
    const deadline = Date.now() + (this.options.fullSpoolWaitMs ?? Infinity);
    while (this.spoolFull) {
      if (this.options.signal?.aborted || this.stopped.signal.aborted)
        throw new CancelledError('shutdown while waiting for room in the spool');
      if (this.fatalError) throw this.fatalError;
      if (this.gaveUpOnRoom || Date.now() >= deadline) {
        this.gaveUpOnRoom = true;
        throw new SpoolFullError(
          `the spool is full (${this.spool.bytes} bytes in ${this.spool.dir}) and InfluxDB has not taken writes` +
            `${this.lastWriteError ? ` (${this.lastWriteError})` : ''}: these points were not kept and are fetched again by the next run`,
        );
      }
      this.logger.warn(`spool full (${this.spool.bytes} bytes): waiting for InfluxDB before fetching more`);
      void this.drain();
      await this.roomOrTimeout(deadline - Date.now());
    }
    this.spool.append(batch.lines);
    this.options.observer?.spooledPoints(batch.count);
    void this.drain();
  }

  private async roomOrTimeout(waitMs: number): Promise<void> {
    const timeUp = new AbortController();
    let wake: () => void = () => undefined;
    const room = new Promise<void>((resolve) => (wake = resolve));
    this.spaceWaiters.add(wake);
    try {
      await Promise.race([room, Number.isFinite(waitMs) ? sleep(waitMs, timeUp.signal) : room]);
    } finally {
      timeUp.abort();
      this.spaceWaiters.delete(wake);
    }
  }

  private wakeWriters(): void {
    for (const wake of [...this.spaceWaiters]) wake();
  }

  /**
   * Writes lines; a retryable failure hands them to `onRetryable`; a refusal for good goes to the
   * dead letters (one log line per batch), narrowed down to the refused lines.
   */
  private async deliver(
    batch: LineBatch,
    onRetryable: (error: InfluxWriteError) => Promise<void>,
  ): Promise<void> {
    const refused: string[] = [];
    let reason = '';
    await this.narrow(batch, onRetryable, (rejected, why) => {
      refused.push(...rejected);
      reason ||= why;
    });
    if (refused.length === 0) return;
    this.deadLetters.add(refused, reason);
    this.options.observer?.deadLetteredPoints(refused.length);
    this.logger.error(
      `InfluxDB refused ${refused.length} of ${batch.count} points for good; kept in ${this.deadLetters.file}: ${reason}`,
    );
  }

  /**
   * InfluxDB writes the good lines of a batch that holds refused ones. A field type conflict names the
   * refused lines; any other refusal is narrowed by halves (writing good lines again is harmless).
   */
  private async narrow(
    batch: LineBatch,
    onRetryable: (error: InfluxWriteError) => Promise<void>,
    onRefused: (lines: readonly string[], reason: string) => void,
  ): Promise<void> {
    try {
      await this.inner.write(batch);
      this.fatalError = undefined;
      this.options.observer?.writtenPoints(batch.count);
    } catch (error) {
      if (!(error instanceof InfluxWriteError)) throw error;
      this.lastWriteError = error.message;
      if (error.outcome === 'retry' || error.outcome === 'throttle') return onRetryable(error);
      if (error.outcome !== 'drop') {
        this.fatalError = error;
        throw error;
      }
      // Refused for good: now the lines are needed one by one.
      const lines = batch.lines;
      const conflict = parseFieldConflict(error.message);
      const named = conflict ? linesInConflict(lines, conflict) : [];
      if (named.length > 0) {
        onRefused(named, error.message);
        if (conflict?.dropped === named.length) {
          // A partial write: InfluxDB took every other line.
          this.options.observer?.writtenPoints(lines.length - named.length);
          return;
        }
        const refused = new Set(named);
        const rest = lines.filter((line) => !refused.has(line));
        if (rest.length > 0) await this.narrow(LineBatch.of(rest), onRetryable, onRefused);
        return;
      }
      if (lines.length === 1) return onRefused(lines, error.message);
      const half = Math.ceil(lines.length / 2);
      await this.narrow(LineBatch.of(lines.slice(0, half)), onRetryable, onRefused);
      await this.narrow(LineBatch.of(lines.slice(half)), onRetryable, onRefused);
    }
  }

  private async replay(): Promise<void> {
    let delayMs = this.options.retryMinDelayMs ?? 500;
    while (!this.spool.isEmpty && !this.stopped.signal.aborted) {
      let retry = false;
      let segment: { seq: number; lines: string[] } | undefined;
      try {
        segment = this.spool.oldest();
        if (!segment) break;
        await this.deliver(LineBatch.of(segment.lines), async () => {
          retry = true;
        });
        if (!retry) this.spool.remove(segment.seq);
      } catch (error) {
        // Refused as a whole (credentials), or the spool's disk failed: keep the points, try again later.
        this.lastWriteError = (error as Error).message;
        retry = true;
      }
      if (retry) {
        this.logger.warn(
          `InfluxDB still cannot take writes (${this.lastWriteError ?? 'unknown reason'}); ${this.spool.bytes} bytes wait in the spool, next try in ${delayMs} ms`,
        );
        await sleep(delayMs, this.stopped.signal);
        delayMs = Math.min(delayMs * 2, this.options.retryMaxDelayMs ?? 30_000);
        continue;
      }
      this.lastWriteError = undefined;
      this.options.observer?.replayedPoints(segment!.lines.length);
      delayMs = this.options.retryMinDelayMs ?? 500;
      this.wakeWriters();
      if (this.spool.isEmpty) this.logger.info('spool replayed: InfluxDB is up to date');
    }
    this.wakeWriters();
  }
}
