import { CancelledError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { sleep, type Clock } from '../../util/time.js';
import {
  NOTHING_WRITTEN,
  refusedPoints,
  type SinkFatal,
  type SinkHealth,
  type WriteOutcome,
} from '../outcome.js';
import { SpoolFullError, type GroupRemoval, type RemovalOutcome } from '../sink.js';
import type { DeadLetters } from './deadLetters.js';
import { LineBatch } from './lineBatch.js';
import { InfluxWriteError, type LineWriter } from './lineWriter.js';
import { settle, type Settled } from './settle.js';
import type { DiskSpool, SpoolSegment } from './spool.js';

export interface SpoolingOptions {
  clock: Clock;
  /** Past this many spooled bytes, write() waits for replay to make room (back-pressure, never drop). */
  maxSpoolBytes: number;
  /**
   * How long a write waits for room in a full spool before it fails with SpoolFullError (one-shot
   * commands, which must end); unset: as long as it takes (the service).
   */
  fullSpoolWaitMs?: number;
  /** Aborting it fails every write still waiting for room (the end of a shutdown's grace period). */
  signal?: AbortSignal;
  /** How long the spool's oldest point may stand still before health() calls the spool stalled. */
  stallAfterMs: number;
  /** Replay backoff while InfluxDB does not take writes. */
  retryMinDelayMs?: number;
  retryMaxDelayMs?: number;
  /** What became of each replayed segment (metrics); writes report their own outcome. */
  onReplay?: (outcome: WriteOutcome) => void;
}

/** A writer waiting for room in a full spool, served in arrival order. */
interface RoomWaiter {
  go: () => void;
  fail: (error: Error) => void;
}

/**
 * The one retry layer for writes (docs/design.md, "Sink"), around the writer of one InfluxDB API. write()
 * resolves, with what became of the lines, once each is in InfluxDB, or safely in the disk spool when
 * InfluxDB cannot take it now (unreachable, slow, 5xx, 429), or in the dead-letter file when InfluxDB
 * refuses it for good (settle.ts: settled in a bounded number of requests). It rejects when lines are
 * not kept: a fatal answer (bad credentials, a missing database: health().fatal says which), the
 * spool's disk failing, a spool full for too long, or a shutdown. While anything is spooled, new lines
 * queue behind it, so InfluxDB receives them in order.
 */
export class SpoolingWriter {
  readonly description: string;
  private fatal: InfluxWriteError | undefined;
  /** Why InfluxDB last failed to take a write; cleared by a write it takes. */
  private lastError: string | undefined;
  private replaying: Promise<void> | undefined;
  private readonly stopped = new AbortController();
  private readonly roomWaiters: RoomWaiter[] = [];
  /** A one-shot command waited its time for room once: later writes fail at once. */
  private gaveUpOnRoom = false;
  /** When the spool's oldest point last moved (or the spool last became non-empty), monotonic. */
  private headMovedMs: number;
  private refusedOnReplay = 0;

  constructor(
    private readonly inner: LineWriter,
    private readonly spool: DiskSpool,
    private readonly deadLetters: DeadLetters,
    private readonly logger: Logger,
    private readonly options: SpoolingOptions,
  ) {
    this.description = `${inner.description} (spool ${spool.dir})`;
    this.headMovedMs = options.clock.monotonicMs();
    if (!spool.isEmpty)
      this.logger.info(`spool holds ${spool.bytes} bytes from before: replaying them first`);
    options.signal?.addEventListener('abort', () => this.failWaiters(new CancelledError()), { once: true });
  }

  health(): SinkHealth {
    const backlogBytes = this.spool.bytes;
    const stillMs = this.options.clock.monotonicMs() - this.headMovedMs;
    const fatal: SinkFatal | undefined = this.fatal && {
      kind: this.fatal.fatal ?? 'config',
      message: this.fatal.message,
    };
    return {
      backlogBytes,
      backlogDir: this.spool.dir,
      full: this.spoolFull,
      ...(backlogBytes > 0 && stillMs > this.options.stallAfterMs ? { stalledForMs: stillMs } : {}),
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      ...(this.refusedOnReplay > 0 ? { refusedOnReplay: this.refusedOnReplay } : {}),
      ...(fatal ? { fatal } : {}),
    };
  }

  async write(batch: LineBatch): Promise<WriteOutcome> {
    if (batch.count === 0) return NOTHING_WRITTEN;
    if (!this.spool.isEmpty || this.roomWaiters.length > 0) {
      // Lines queue behind the spool; while InfluxDB refuses us for good they would only pile up.
      if (this.fatal) throw this.fatal;
      return this.enqueue([batch]);
    }
    const settled = await this.settleOrFail(batch, false);
    const outcome = await this.keepRefused(settled, batch.count);
    if (settled.deferred.length === 0) return outcome;
    if (this.spool.isEmpty)
      this.logger.warn(
        `InfluxDB cannot take writes now (${settled.deferredBy!.message}): keeping points in the spool`,
      );
    const spooled = await this.enqueue(settled.deferred);
    return { ...outcome, spooled: spooled.spooled };
  }

  /**
   * Deletes what the removals name, once nothing older waits: while the spool holds lines (or writers
   * wait to add some), InfluxDB has not got every earlier write yet, and the removal would overtake
   * them ('deferred': the caller keeps it and asks again later).
   */
  async remove(removals: readonly GroupRemoval[]): Promise<RemovalOutcome> {
    if (!this.spool.isEmpty || this.roomWaiters.length > 0) return 'deferred';
    if (!this.inner.remove) return 'unsupported';
    return this.inner.remove(removals);
  }

  /** Starts replaying the spool (if it is not already); resolves when it is empty, after `waitMs`, or at close(). */
  async drain(waitMs: number): Promise<void> {
    if (this.spool.isEmpty) return;
    this.replaying ??= this.replay().finally(() => (this.replaying = undefined));
    const timeUp = new AbortController();
    await Promise.race([this.replaying, sleep(waitMs, timeUp.signal)]);
    timeUp.abort();
  }

  async close(): Promise<void> {
    this.stopped.abort();
    this.failWaiters(new CancelledError('shutdown while waiting for room in the spool'));
    await this.replaying;
    await this.inner.close();
  }

  private get spoolFull(): boolean {
    return this.spool.bytes >= this.options.maxSpoolBytes;
  }

  /** settle(), remembering what InfluxDB said: a fatal answer is kept (and rethrown) until a write succeeds. */
  private async settleOrFail(batch: LineBatch, stopAtDeferral: boolean): Promise<Settled> {
    try {
      const settled = await settle(this.inner, batch, stopAtDeferral);
      if (settled.deferredBy) this.lastError = settled.deferredBy.message;
      else {
        this.lastError = undefined;
        this.fatal = undefined;
      }
      return settled;
    } catch (error) {
      if (error instanceof InfluxWriteError) {
        this.lastError = error.message;
        if (error.outcome === 'fatal') this.fatal = error;
      }
      throw error;
    }
  }

  /** Refused lines into the dead letters (one log line per reason); the outcome of the settled batch. */
  private async keepRefused(settled: Settled, count: number): Promise<WriteOutcome> {
    const refusedByDatabase = [];
    for (const [reason, lines] of settled.refused) {
      await this.deadLetters.addLines(lines, reason);
      refusedByDatabase.push({ reason, points: lines.length });
      this.logger.error(
        `InfluxDB refused ${lines.length} of ${count} points for good; kept in ${this.deadLetters.file}: ${reason}`,
      );
    }
    return { acknowledged: settled.acknowledged, spooled: 0, refusedByEncoder: [], refusedByDatabase };
  }

  private async enqueue(parts: readonly LineBatch[]): Promise<WriteOutcome> {
    await this.waitForRoom();
    try {
      if (this.spool.isEmpty) this.headMovedMs = this.options.clock.monotonicMs();
      await this.spool.append(parts);
    } finally {
      this.admitNext();
    }
    void this.drain(0);
    return { ...NOTHING_WRITTEN, spooled: LineBatch.countOf(parts) };
  }

  /**
   * Resolves when the spool has room and every writer that came before has had its turn; rejects with
   * SpoolFullError past fullSpoolWaitMs, or at shutdown, or when InfluxDB refuses us for good.
   */
  private waitForRoom(): Promise<void> {
    if (this.options.signal?.aborted || this.stopped.signal.aborted)
      return Promise.reject(new CancelledError('shutdown while waiting for room in the spool'));
    if (this.fatal) return Promise.reject(this.fatal);
    if (!this.spoolFull && this.roomWaiters.length === 0) return Promise.resolve();
    if (this.gaveUpOnRoom) return Promise.reject(this.spoolFullError());
    if (this.roomWaiters.length === 0)
      this.logger.warn(`spool full (${this.spool.bytes} bytes): waiting for InfluxDB before fetching more`);
    void this.drain(0);
    return new Promise((resolve, reject) => {
      const waitMs = this.options.fullSpoolWaitMs;
      const timer =
        waitMs === undefined
          ? undefined
          : setTimeout(() => {
              this.roomWaiters.splice(this.roomWaiters.indexOf(waiter), 1);
              this.gaveUpOnRoom = true;
              reject(this.spoolFullError());
              this.admitNext();
            }, waitMs);
      const waiter: RoomWaiter = {
        go: () => {
          clearTimeout(timer);
          resolve();
        },
        fail: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.roomWaiters.push(waiter);
    });
  }

  /** Lets the first waiter in when there is room: one at a time, each after the one before has appended. */
  private admitNext(): void {
    if (this.roomWaiters.length > 0 && !this.spoolFull) this.roomWaiters.shift()!.go();
  }

  private failWaiters(error: Error): void {
    for (const waiter of this.roomWaiters.splice(0)) waiter.fail(error);
  }

  private spoolFullError(): SpoolFullError {
    return new SpoolFullError(
      `the spool is full (${this.spool.bytes} bytes in ${this.spool.dir}) and InfluxDB has not taken writes` +
        `${this.lastError ? ` (${this.lastError})` : ''}: these points were not kept and are fetched again by the next run`,
    );
  }

  private async replay(): Promise<void> {
    let delayMs = this.options.retryMinDelayMs ?? 500;
    // The segment being replayed, kept across the tries that InfluxDB defers: read once, not once a try.
    let segment: SpoolSegment | undefined;
    while (!this.spool.isEmpty && !this.stopped.signal.aborted) {
      let done: WriteOutcome | undefined;
      try {
        segment ??= await this.spool.oldest();
        if (!segment) break;
        const settled = await this.settleOrFail(segment.batch, true);
        if (!settled.deferredBy) {
          done = await this.keepRefused(settled, segment.batch.count);
          await this.spool.remove(segment.seq);
          segment = undefined;
          this.headMovedMs = this.options.clock.monotonicMs();
        }
      } catch (error) {
        // Refused as a whole (credentials), or the spool's disk failed: keep the points, try again later.
        this.lastError = (error as Error).message;
        if (error instanceof InfluxWriteError && error.outcome === 'fatal') this.failWaiters(error);
      }
      if (!done) {
        this.logger.warn(
          `InfluxDB still cannot take writes (${this.lastError ?? 'unknown reason'}); ${this.spool.bytes} bytes wait in the spool, next try in ${delayMs} ms`,
        );
        await sleep(delayMs, this.stopped.signal);
        delayMs = Math.min(delayMs * 2, this.options.retryMaxDelayMs ?? 30_000);
        continue;
      }
      this.refusedOnReplay += refusedPoints(done);
      this.options.onReplay?.(done);
      delayMs = this.options.retryMinDelayMs ?? 500;
      this.admitNext();
      if (this.spool.isEmpty) this.logger.info('spool replayed: InfluxDB is up to date');
    }
    this.admitNext();
  }
}
