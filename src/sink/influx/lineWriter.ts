import { ServiceError } from '../../errors.js';
import type { FailureOutcome } from '../../failures/classify.js';
import type { LineBatch } from './lineBatch.js';

/**
 * What writes line protocol to InfluxDB (1.x, 2.x/3.x, or the spooling layer around them). The
 * contract: write() resolves only once every line is acknowledged by the database (or, for the
 * spooling layer, kept), and rejects with an InfluxWriteError saying what to do about it otherwise.
 */
export interface LineWriter {
  write(batch: LineBatch): Promise<void>;
  close(): Promise<void>;
  /** For logs: "InfluxDB 1.6.7 at http://…/ database radar". Never holds credentials. */
  readonly description: string;
}

export class InfluxWriteError extends ServiceError {
  readonly outcome: FailureOutcome;
  readonly status: number | undefined;
  constructor(message: string, outcome: FailureOutcome, status?: number, cause?: unknown) {
    super(`influx_${outcome}`, message, { retryable: outcome === 'retry' || outcome === 'throttle', cause });
    this.outcome = outcome;
    this.status = status;
  }
}

/** Splits lines into batches of at most `size`. */
export function* batches<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
