import type { PointBatch } from '../model/point.js';

/** What a sink could not take: points no encoding can carry, kept aside (dead letters) or logged. */
export interface WriteReport {
  /** Points refused, in all. */
  refused: number;
  /** Of those, points of the batch's groups (traffic). */
  refusedFromGroups: number;
}

/**
 * Where points go: InfluxDB (`influx/`), or a stream of line protocol (`file/`, for --dry-run). The
 * contract: write() resolves once the points are delivered or safely kept, and says which it could
 * not take at all; it rejects when points are not kept (the window is then fetched again).
 * `context` (job, dimension, window) goes into any log line about the batch.
 */
export interface PointSink {
  write(batch: PointBatch, context?: Record<string, string>): Promise<WriteReport>;
  close(): Promise<void>;
  /** For logs. Never holds credentials. */
  readonly description: string;
}

/** Splits items into batches of at most `size`. */
export function* batches<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
