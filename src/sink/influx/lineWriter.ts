import { ServiceError } from '../../errors.js';
import type { FailureOutcome } from '../../failures/classify.js';
import type { SinkFatal } from '../outcome.js';
import type { LineBatch } from './lineBatch.js';
import type { GroupRemoval } from '../sink.js';

/**
 * What writes line protocol to one InfluxDB API (1.x `/write`, 2.x/3.x `/api/v2/write`). The
 * contract: write() resolves only once every line is acknowledged, and rejects with an
 * InfluxWriteError saying what the answer means otherwise. (Not a PointSink: it takes bytes, not points.)
 */
export interface LineWriter {
  write(batch: LineBatch): Promise<void>;
  /** Deletes the points the removals name (sink.ts, GroupRemoval); 'unsupported' where the API has no delete. */
  remove?(removals: readonly GroupRemoval[]): Promise<'removed' | 'unsupported'>;
  close(): Promise<void>;
  /** For logs: "InfluxDB 1.6.7 at http://…/ database radar". Never holds credentials. */
  readonly description: string;
}

export class InfluxWriteError extends ServiceError {
  readonly outcome: FailureOutcome;
  /** For a fatal answer: what a person must fix. */
  readonly fatal: SinkFatal['kind'] | undefined;
  /** The answer's body as InfluxDB sent it (redacted): refusals name their lines in it (refusals.ts). */
  readonly body: string;

  constructor(
    message: string,
    outcome: FailureOutcome,
    options: { fatal?: SinkFatal['kind']; body?: string; cause?: unknown } = {},
  ) {
    super(`influx_${outcome}`, message, {
      retryable: outcome === 'retry' || outcome === 'throttle',
      cause: options.cause,
    });
    this.outcome = outcome;
    this.fatal = outcome === 'fatal' ? (options.fatal ?? 'config') : undefined;
    this.body = options.body ?? '';
  }
}

/** The fatal kind of an HTTP status: credentials for 401/403, a setting otherwise (a missing database or bucket). */
export function fatalKindOf(status: number): SinkFatal['kind'] {
  return status === 401 || status === 403 ? 'credentials' : 'config';
}
