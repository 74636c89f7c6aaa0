import { join } from 'node:path';
import type { Logger } from '../../log.js';
import type { InfluxSettings } from '../../model/settings.js';
import type { Clock } from '../../util/time.js';
import type { WriteOutcome } from '../outcome.js';
import type { PointSink } from '../sink.js';
import { LazyWriter } from './connect.js';
import { DeadLetters } from './deadLetters.js';
import { InfluxSink } from './influxSink.js';
import { DiskSpool } from './spool.js';
import { SpoolingWriter } from './spoolingWriter.js';

/** Where InfluxDB's sink keeps what waits and what was refused, inside the state directory. */
export function influxStateFiles(stateDir: string): { spoolDir: string; deadLetterFile: string } {
  return { spoolDir: join(stateDir, 'spool'), deadLetterFile: join(stateDir, 'dead-letters.jsonl') };
}

export interface InfluxSinkOptions {
  stateDir: string;
  clock: Clock;
  logger: Logger;
  /** The spool's bound: past it, writers wait for InfluxDB (back-pressure, never a drop). */
  maxSpoolBytes: number;
  /** One-shot commands: how long a write waits for room before it fails; unset: as long as it takes. */
  fullSpoolWaitMs?: number;
  /** The end of a shutdown's grace period: writes waiting for room give up. */
  signal?: AbortSignal;
  /** What /ping said at start, so that it is not asked again. */
  knownVersion?: string;
  /** What became of each replayed segment of the spool (metrics). */
  onReplay?: (outcome: WriteOutcome) => void;
  /** How long each write request to InfluxDB took, answered or not (metrics). */
  onWriteRequest?: (seconds: number) => void;
}

/**
 * The InfluxDB stack, assembled in one place: the API's writer (connected at the first write), the
 * disk spool and the dead letters in the state directory, the spooling layer, the encoder.
 */
export function openInfluxSink(settings: InfluxSettings, options: InfluxSinkOptions): PointSink {
  const { spoolDir, deadLetterFile } = influxStateFiles(options.stateDir);
  const deadLetters = new DeadLetters(deadLetterFile, options.clock);
  const writer = new SpoolingWriter(
    new LazyWriter(settings, options.knownVersion, options.onWriteRequest, options.clock),
    new DiskSpool(spoolDir),
    deadLetters,
    options.logger,
    {
      clock: options.clock,
      maxSpoolBytes: options.maxSpoolBytes,
      stallAfterMs: Math.max(3 * settings.timeoutMs, 2000),
      ...(options.fullSpoolWaitMs !== undefined ? { fullSpoolWaitMs: options.fullSpoolWaitMs } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onReplay ? { onReplay: options.onReplay } : {}),
    },
  );
  return new InfluxSink(writer, deadLetters, options.logger, settings.batchSize);
}
