import type { Logger } from '../../log.js';
import type { PointBatch, TrafficGroup } from '../../model/point.js';
import type { PointSink, WriteReport } from '../sink.js';
import type { DeadLetters } from './deadLetters.js';
import type { DeliveringSink } from './deliveringSink.js';
import { encodeBody } from './lineProtocol.js';

/**
 * InfluxDB as a PointSink: points become line protocol here; the few that line protocol cannot carry
 * (a name with a line break, a backslash before a special character) go to the dead letters with
 * the reason, logged once per batch; the lines go to InfluxDB through the spool (DeliveringSink).
 */
export class InfluxSink implements PointSink {
  readonly description: string;

  constructor(
    private readonly delivery: DeliveringSink,
    private readonly deadLetters: DeadLetters,
    private readonly logger: Logger,
    /** Points encoded and delivered at a time (influx.batchSize). */
    private readonly chunkPoints = 5000,
  ) {
    this.description = delivery.description;
  }

  /**
   * Encodes and delivers the batch a chunk at a time: a window's lines are the bulkiest thing the
   * service holds, and while they wait for InfluxDB they outlive young-generation collections, so
   * encoding all of a 7-day window at once (13,000 lines and more) swelled the heap. The single
   * points (annotations, the window's radar_fetches record) go last, with the last chunk.
   */
  async write(batch: PointBatch, context: Record<string, string> = {}): Promise<WriteReport> {
    const report = { refused: 0, refusedFromGroups: 0 };
    for (const chunk of chunks(batch, this.chunkPoints)) {
      const encoded = encodeBody(chunk);
      if (encoded.firstError) {
        this.deadLetters.addPoints(encoded.refused, encoded.firstError.message);
        this.logger.error(
          `${encoded.refused.length} points cannot be written as line protocol (kept in ${this.deadLetters.file}); first: ${encoded.firstError.message}`,
          context,
        );
      }
      await this.delivery.write(encoded.body);
      report.refused += encoded.refused.length;
      report.refusedFromGroups += encoded.refusedFromGroups;
    }
    return report;
  }

  close(): Promise<void> {
    return this.delivery.close();
  }
}

/** The batch in parts of about `points` points (whole groups), its single points in the last part. */
export function* chunks(batch: PointBatch, points: number): Generator<PointBatch> {
  let groups: TrafficGroup[] = [];
  let size = 0;
  for (const group of batch.groups) {
    if (size > 0 && size + group.timesMs.length > points) {
      yield { groups, points: [] };
      groups = [];
      size = 0;
    }
    groups.push(group);
    size += group.timesMs.length;
  }
  yield { groups, points: batch.points };
}
