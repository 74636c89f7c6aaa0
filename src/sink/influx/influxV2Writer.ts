import { HttpError, InfluxDB, setLogger, type Transport } from '@influxdata/influxdb-client';
import type { InfluxV2Settings } from '../../model/settings.js';
import { redact } from '../../errors.js';
import { classifyInfluxAnswer } from '../../failures/classify.js';
import { batches, type GroupRemoval } from '../sink.js';
import { v2DeleteBody } from './deletion.js';
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
  private readonly deletePath: string;
  private readonly inFlight = new Set<AbortController>();

  constructor(
    private readonly settings: InfluxV2Settings,
    version: string,
    /** Which API the server speaks: 3.x takes writes here, but has no delete. */
    private readonly api: '2' | '3' = '2',
  ) {
    const { org, bucket, token } = settings;
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
    this.deletePath = `/api/v2/delete?${new URLSearchParams({ ...(org ? { org } : {}), bucket })}`;
  }

  async write(batch: LineBatch): Promise<void> {
    const parts =
      batch.count <= this.settings.batchSize
        ? [batch]
        : [...batches(batch.lines, this.settings.batchSize)].map((lines) => LineBatch.of(lines));
    for (const part of parts) await this.post(part);
  }

  /**
   * InfluxDB 2.x: one `POST /api/v2/delete` per removal (its predicate has no OR). InfluxDB 3 has no
   * delete of points (deletion.ts); neither has a stand-in that only writes (VictoriaMetrics answers an
   * unknown path with 400 or 404): both are 'unsupported', said once by the caller.
   */
  async remove(removals: readonly GroupRemoval[]): Promise<'removed' | 'unsupported'> {
    if (this.api === '3') return 'unsupported';
    for (const removal of removals) {
      const answer = await this.send(
        this.deletePath,
        JSON.stringify(v2DeleteBody(removal)),
        'application/json',
        'delete',
      );
      if (answer === 'unsupported') return 'unsupported';
    }
    return 'removed';
  }

  async close(): Promise<void> {
    for (const abort of this.inFlight) abort.abort(new Error('the writer was closed'));
  }

  private async post(batch: LineBatch): Promise<void> {
    // Typed as a string, the body is made a Buffer with Buffer.from(body, 'utf-8'), which copies a
    // Buffer byte for byte (the encoding applies to strings only): the encoder's bytes go out as they are.
    await this.send(
      this.path,
      batch.body as unknown as string,
      'text/plain; charset=utf-8',
      `write of ${batch.count} points`,
    );
  }

  /**
   * Posts a body; 'unsupported' for a delete the server has no route for. Each request has its own
   * timeout, which aborts it (the socket closed with it): left to the client's timeout, a request to a
   * server that never answers kept its socket, and `run` did not exit after SIGTERM (7 sockets, 163 s).
   * close() aborts what is still in flight.
   */
  private send(
    path: string,
    body: string,
    contentType: string,
    what: string,
  ): Promise<'done' | 'unsupported'> {
    const abort = new AbortController();
    this.inFlight.add(abort);
    const timer = setTimeout(
      () => abort.abort(new TimeoutError(this.settings.timeoutMs)),
      this.settings.timeoutMs,
    );
    return new Promise<'done' | 'unsupported'>((resolve, reject) => {
      this.transport.send(
        path,
        body,
        { method: 'POST', headers: { 'content-type': contentType }, signal: abort.signal },
        {
          error: (error) => {
            if (what === 'delete' && error instanceof HttpError && isMissingRoute(error))
              resolve('unsupported');
            else {
              const reason: unknown = abort.signal.reason;
              reject(this.toWriteError(reason instanceof Error ? reason : error, what));
            }
          },
          complete: () => resolve('done'),
        },
      );
    }).finally(() => {
      clearTimeout(timer);
      this.inFlight.delete(abort);
    });
  }

  private toWriteError(error: Error, what: string): InfluxWriteError {
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
        `InfluxDB ${what} refused: HTTP ${error.statusCode}: ${serverReason(body)}${hint}`,
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

/**
 * A delete the server has no route for: 404 or 405 that is not InfluxDB's own "bucket not found"
 * (VictoriaMetrics answers 400 "unsupported path requested" for paths it does not serve).
 */
function isMissingRoute(error: HttpError): boolean {
  const body = error.body ?? '';
  if (error.statusCode === 405) return true;
  if (error.statusCode === 404) return !/bucket|organization|org\b/i.test(body);
  return error.statusCode === 400 && /unsupported path/i.test(body);
}

/** A request that took longer than influx.timeoutMs: an outage to spool through, like a network error. */
class TimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(ms: number) {
    super(`no answer within ${ms} ms (influx.timeoutMs)`);
  }
}
