import type { Logger } from '../../log.js';
import type { PointBatch, TrafficGroup } from '../../model/point.js';
import { addOutcomes, NOTHING_WRITTEN, type SinkHealth, type WriteOutcome } from '../outcome.js';
import type { GroupRemoval, PointSink, RemovalOutcome } from '../sink.js';
import type { DeadLetters } from './deadLetters.js';
import { encodeBody } from './lineProtocol.js';
import type { SpoolingWriter } from './spoolingWriter.js';

/**
 * InfluxDB as a PointSink: points become a request body here; the few that line protocol cannot carry
 * (a group key InfluxDB could not give back unchanged) go to the dead letters with their reason, logged
 * once per reason; the body goes to InfluxDB through the spool (SpoolingWriter).
 */
export class InfluxSink implements PointSink {
  readonly description: string;

  constructor(
    private readonly writer: SpoolingWriter,
    private readonly deadLetters: DeadLetters,
    private readonly logger: Logger,
    /** Points encoded and delivered at a time (influx.batchSize). */
    private readonly chunkPoints = 5000,
  ) {
    this.description = writer.description;
  }

  /**
   * Encodes and delivers the batch a chunk at a time: a window's lines are the bulkiest thing the
   * service holds, and while they wait for InfluxDB they outlive young-generation collections, so
   * encoding all of a 7-day window at once (13,000 lines and more) swelled the heap. The single
   * points (annotations, records) go with the last chunk.
   */
  async write(batch: PointBatch, context: Record<string, string> = {}): Promise<WriteOutcome> {
    let outcome = NOTHING_WRITTEN;
    for (const chunk of chunks(batch, this.chunkPoints)) {
      const encoded = encodeBody(chunk);
      for (const { reason, points } of encoded.refused) {
        await this.deadLetters.addPoints(points, reason);
        this.logger.error(
          `${points.length} points cannot be written as line protocol (kept in ${this.deadLetters.file}): ${reason}`,
          context,
        );
      }
      const refusedByEncoder = encoded.refused.map((r) => ({ reason: r.reason, points: r.points.length }));
      outcome = addOutcomes(outcome, { ...(await this.writer.write(encoded.body)), refusedByEncoder });
    }
    return outcome;
  }

  removeGroups(removals: readonly GroupRemoval[]): Promise<RemovalOutcome> {
    return this.writer.remove(removals);
  }

  health(): SinkHealth {
    return this.writer.health();
  }

  drain(waitMs: number): Promise<void> {
    return this.writer.drain(waitMs);
  }

  close(): Promise<void> {
    return this.writer.close();
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
