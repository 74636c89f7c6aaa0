import type { Logger } from '../../log.js';
import type { PointBatch } from '../../model/point.js';
import { encodeBatch } from '../influx/lineProtocol.js';
import type { PointSink, WriteReport } from '../sink.js';

/**
 * Line protocol to a stream (`--dry-run`: stdout), nothing sent anywhere, no state. The second sink
 * on the PointSink seam: points line protocol cannot carry are logged, not written.
 */
export class FileSink implements PointSink {
  readonly description = 'dry run (line protocol to stdout)';

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly logger: Logger,
  ) {}

  async write(batch: PointBatch, context: Record<string, string> = {}): Promise<WriteReport> {
    const encoded = encodeBatch(batch);
    if (encoded.firstError)
      this.logger.error(
        `${encoded.refused.length} points cannot be written as line protocol (not written); first: ${encoded.firstError.message}`,
        context,
      );
    if (encoded.lines.length > 0) this.out.write(encoded.lines.join('\n') + '\n');
    return { refused: encoded.refused.length, refusedFromGroups: encoded.refusedFromGroups };
  }

  async close(): Promise<void> {}
}
