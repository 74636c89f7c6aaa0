import type { Logger } from '../../log.js';
import type { PointBatch } from '../../model/point.js';
import type { PointSink, WriteReport } from '../sink.js';
import type { DeadLetters } from './deadLetters.js';
import type { DeliveringSink } from './deliveringSink.js';
import { encodeBatch } from './lineProtocol.js';

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
  ) {
    this.description = delivery.description;
  }

  async write(batch: PointBatch, context: Record<string, string> = {}): Promise<WriteReport> {
    const encoded = encodeBatch(batch);
    if (encoded.firstError) {
      this.deadLetters.addPoints(encoded.refused, encoded.firstError.message);
      this.logger.error(
        `${encoded.refused.length} points cannot be written as line protocol (kept in ${this.deadLetters.file}); first: ${encoded.firstError.message}`,
        context,
      );
    }
    await this.delivery.write(encoded.lines);
    return { refused: encoded.refused.length, refusedFromGroups: encoded.refusedFromGroups };
  }

  close(): Promise<void> {
    return this.delivery.close();
  }
}
