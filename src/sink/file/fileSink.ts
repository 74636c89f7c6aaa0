import { once } from 'node:events';
import type { Logger } from '../../log.js';
import type { PointBatch } from '../../model/point.js';
import { encodeBody } from '../influx/index.js';
import { NOTHING_WRITTEN, type SinkHealth, type WriteOutcome } from '../outcome.js';
import type { PointSink } from '../sink.js';

/**
 * Line protocol to a stream (`--dry-run`: stdout), nothing sent anywhere, no state: the bytes a real
 * write would send (the same encoder), waiting for the reader when it is slow (a pipe into `less`
 * must not fill memory). Points line protocol cannot carry are logged, not written.
 */
export class FileSink implements PointSink {
  readonly description = 'dry run (line protocol to stdout)';

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly logger: Logger,
  ) {}

  async write(batch: PointBatch, context: Record<string, string> = {}): Promise<WriteOutcome> {
    const { body, refused } = encodeBody(batch);
    for (const { reason, points } of refused)
      this.logger.error(
        `${points.length} points cannot be written as line protocol (not written): ${reason}`,
        context,
      );
    if (body.count > 0 && !this.out.write(Buffer.concat([body.body, NEWLINE]))) await once(this.out, 'drain');
    return {
      ...NOTHING_WRITTEN,
      acknowledged: body.count,
      refusedByEncoder: refused.map((r) => ({ reason: r.reason, points: r.points.length })),
    };
  }

  health(): SinkHealth {
    return { backlogBytes: 0, full: false };
  }

  async drain(): Promise<void> {}

  async close(): Promise<void> {}
}

const NEWLINE = Buffer.from('\n');
