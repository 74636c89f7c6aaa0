import { HttpError, InfluxDB, setLogger, type WriteApi } from '@influxdata/influxdb-client';
import type { InfluxSettings } from '../../model/settings.js';
import { redact, UsageError } from '../../errors.js';
import { classifyInfluxAnswer } from '../../failures/classify.js';
import { serverReason } from './influxV1.js';
import { batches } from '../sink.js';
import { InfluxWriteError, type LineWriter } from './lineWriter.js';
import type { LineBatch } from './lineBatch.js';

/**
 * InfluxDB 2.x and 3.x: /api/v2/write through @influxdata/influxdb-client. The client's own retry and
 * buffering are off (maxRetries 0, no flush timer): failures come back to us, the one retry layer.
 */

export class InfluxV2Sink implements LineWriter {
  readonly description: string;
  private readonly writeApi: WriteApi;

  constructor(
    private readonly settings: InfluxSettings,
    version: string,
  ) {
    const { org, bucket, token } = settings;
    if (!bucket || !token) {
      throw new UsageError(
        `InfluxDB ${version} at ${settings.url} needs INFLUX_BUCKET and INFLUX_TOKEN${org ? '' : ' (and INFLUX_ORG for 2.x)'}`,
      );
    }
    this.description = `InfluxDB ${version} at ${settings.url}, bucket ${bucket}`;
    // The client logs failed writes to the console itself, response bodies included; we report every
    // failure through our own (redacting) logger instead. Its logger is process-wide, so this is done
    // only by a process that writes to InfluxDB 2.x/3.x, not by importing this module.
    setLogger({ error: () => undefined, warn: () => undefined });
    this.writeApi = new InfluxDB({ url: settings.url, token, timeout: settings.timeoutMs }).getWriteApi(
      org ?? '',
      bucket,
      'ms',
      {
        maxRetries: 0,
        flushInterval: 0,
        // One more than we ever hand it at once: the client never flushes on its own, only when told.
        batchSize: settings.batchSize + 1,
        maxBufferLines: settings.batchSize * 2,
      },
    );
  }

  /** The 2.x client takes lines: made from the body here (the 1.x path posts the body as it is). */
  async write(lines: LineBatch): Promise<void> {
    for (const batch of batches(lines.lines, this.settings.batchSize)) {
      try {
        this.writeApi.writeRecords(batch);
        await this.writeApi.flush();
      } catch (error) {
        throw this.toWriteError(error, batch.length);
      }
    }
  }

  async close(): Promise<void> {
    await this.writeApi.close().catch(() => undefined);
  }

  private toWriteError(error: unknown, count: number): InfluxWriteError {
    const secrets = [this.settings.token];
    if (error instanceof HttpError) {
      const reason = redact(serverReason(error.body ?? error.message), secrets);
      const hint =
        error.statusCode === 401 || error.statusCode === 403
          ? ': check INFLUX_TOKEN, and that it may write to the bucket'
          : '';
      return new InfluxWriteError(
        `InfluxDB write of ${count} points refused: HTTP ${error.statusCode}: ${reason}${hint}`,
        classifyInfluxAnswer({ kind: 'http', status: error.statusCode }),
        error.statusCode,
      );
    }
    const message = redact(error instanceof Error ? error.message : String(error), secrets);
    return new InfluxWriteError(
      `InfluxDB at ${this.settings.url} could not be reached: ${message}`,
      'retry',
      undefined,
      error,
    );
  }
}
