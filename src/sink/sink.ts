import { ServiceError } from '../errors.js';
import type { FailureOutcome } from '../failures/classify.js';

/**
 * Where points go. The contract: write() resolves only once every line is acknowledged by the
 * database, and rejects with an InfluxWriteError saying what to do about it otherwise.
 */
export interface PointSink {
  write(lines: readonly string[]): Promise<void>;
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

/** `--dry-run`: line protocol to a stream, nothing sent anywhere. */
export class DryRunSink implements PointSink {
  readonly description = 'dry run (line protocol to stdout)';
  constructor(private readonly out: NodeJS.WritableStream) {}

  async write(lines: readonly string[]): Promise<void> {
    if (lines.length > 0) this.out.write(lines.join('\n') + '\n');
  }

  async close(): Promise<void> {}
}
