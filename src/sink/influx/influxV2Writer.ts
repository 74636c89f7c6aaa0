import { HttpError, InfluxDB, setLogger, type Transport } from '@influxdata/influxdb-client';
import type { InfluxSettings } from '../../model/settings.js';
import { redact, UsageError } from '../../errors.js';
import { classifyInfluxAnswer } from '../../failures/classify.js';
import { batches } from '../sink.js';
import { LineBatch } from './lineBatch.js';
import { fatalKindOf, InfluxWriteError, type LineWriter } from './lineWriter.js';
import { serverReason } from './refusals.js';

/**
 * InfluxDB 2.x and 3.x: POST /api/v2/write (3.x serves it for compatibility) through
 * @influxdata/influxdb-client's transport, which posts a ready body: the bytes the encoder made for
 * the 1.x path, with no line made again as a string (the client's WriteApi takes lines and joins them:
 * the cost measured in BENCHMARKS.md). The transport brings the client's token header, TLS and
 * timeout; its own retries and buffering are not used (WriteApi's), so failures come back to us, the
 * one retry layer. The answer is read with node's lenient parser, for the reason httpPost.ts gives.
 */
export class InfluxV2Writer implements LineWriter {
  readonly description: string;
  private readonly transport: Transport;
  private readonly path: string;

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
    // The client logs failures to the console itself, response bodies included; we report every
    // failure through our own (redacting) logger instead. Its logger is process-wide, so this is done
    // only by a process that writes to InfluxDB 2.x/3.x, not by importing this module.
    setLogger({ error: () => undefined, warn: () => undefined });
    this.transport = new InfluxDB({
      url: settings.url,
      token,
      timeout: settings.timeoutMs,
      transportOptions: { insecureHTTPParser: true },
    }).transport;
    const query = new URLSearchParams({ ...(org ? { org } : {}), bucket, precision: 'ms' });
    this.path = `/api/v2/write?${query}`;
  }

  async write(batch: LineBatch): Promise<void> {
    const parts =
      batch.count <= this.settings.batchSize
        ? [batch]
        : [...batches(batch.lines, this.settings.batchSize)].map((lines) => LineBatch.of(lines));
    for (const part of parts) await this.post(part);
  }

  async close(): Promise<void> {}

  private post(batch: LineBatch): Promise<void> {
    return new Promise((resolve, reject) => {
      // Typed as a string, the body is made a Buffer with Buffer.from(body, 'utf-8'), which copies a
      // Buffer byte for byte (the encoding applies to strings only): the encoder's bytes go out as they are.
      this.transport.send(
        this.path,
        batch.body as unknown as string,
        { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' } },
        {
          error: (error) => reject(this.toWriteError(error, batch.count)),
          complete: () => resolve(),
        },
      );
    });
  }

  private toWriteError(error: Error, count: number): InfluxWriteError {
    const secrets = [this.settings.token];
    if (error instanceof HttpError) {
      const body = redact(error.body ?? error.message, secrets);
      const hint =
        error.statusCode === 401 || error.statusCode === 403
          ? ': check INFLUX_TOKEN, and that it may write to the bucket'
          : error.statusCode === 404
            ? ': check INFLUX_BUCKET (and INFLUX_ORG for 2.x)'
            : '';
      return new InfluxWriteError(
        `InfluxDB write of ${count} points refused: HTTP ${error.statusCode}: ${serverReason(body)}${hint}`,
        classifyInfluxAnswer({ kind: 'http', status: error.statusCode }),
        { fatal: fatalKindOf(error.statusCode), body },
      );
    }
    const code = (error as NodeJS.ErrnoException).code;
    return new InfluxWriteError(
      `InfluxDB at ${this.settings.url} could not be reached: ${redact(error.message, secrets)}`,
      classifyInfluxAnswer({ kind: 'network', ...(code !== undefined ? { code } : {}) }),
      { cause: error },
    );
  }
}
