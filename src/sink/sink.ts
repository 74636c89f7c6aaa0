import { ServiceError } from '../errors.js';
import type { PointBatch } from '../model/point.js';
import type { SinkHealth, WriteOutcome } from './outcome.js';

/**
 * Where points go: InfluxDB (`influx/`, opened by openInfluxSink), or a stream of line protocol
 * (`file/`, for --dry-run). The contract: write() resolves once every point of the batch is kept —
 * acknowledged, spooled, or refused and kept aside with its reason — and says which in its outcome;
 * it rejects when points are not kept (a shutdown, a full spool for too long, the disk failing, a
 * fatal refusal: see health()), and the window is then fetched again. `context` (job, dimension,
 * window) goes into any log line about the batch.
 */
export interface PointSink {
  write(batch: PointBatch, context?: Record<string, string>): Promise<WriteOutcome>;
  health(): SinkHealth;
  /** Resolves once nothing waits for the database, or after `waitMs`. */
  drain(waitMs: number): Promise<void>;
  close(): Promise<void>;
  /** For logs. Never holds credentials. */
  readonly description: string;
  /**
   * Removes, in each series and time range, the points of every group not in `keep` (the groups a
   * window's newest answer names). Only once everything written before is in the database: 'deferred'
   * while earlier points still wait (the spool), so that a removal never overtakes an older write;
   * 'unsupported' where the database has no way to delete points (InfluxDB 3 Core, a stand-in that
   * only writes). Rejects when the database fails or refuses the removal: try again later.
   */
  removeGroups?(removals: readonly GroupRemoval[]): Promise<RemovalOutcome>;
}

/** The points of one series in [startMs, endMs) whose `groupTag` is none of `keep`. */
export interface GroupRemoval {
  measurement: string;
  /** The tags that name the series (every one must match). */
  seriesTags: Readonly<Record<string, string>>;
  groupTag: string;
  keep: readonly string[];
  startMs: number;
  endMs: number;
}

export type RemovalOutcome = 'removed' | 'deferred' | 'unsupported';

/** The spool stayed full for as long as a one-shot command may wait: these points were not kept. */
export class SpoolFullError extends ServiceError {
  static readonly CODE = 'spool_full';
  constructor(message: string) {
    super(SpoolFullError.CODE, message, { retryable: true });
  }
}

/** Splits items into batches of at most `size`. */
export function* batches<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
