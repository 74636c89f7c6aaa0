import type { InfluxSettings } from '../config/settings.js';
import { redact } from '../errors.js';
import { classifyInfluxAnswer } from '../failures/classify.js';
import { describeTransportError } from '../failures/transportError.js';
import { postText } from './httpPost.js';
import { batches, InfluxWriteError, type PointSink } from './sink.js';

/** InfluxDB 1.x: POST /write?db=&rp=&precision=ms, user and password by basic auth. */
export class InfluxV1Sink implements PointSink {
  readonly description: string;

  constructor(
    private readonly settings: InfluxSettings,
    version: string,
  ) {
    this.description = `InfluxDB ${version} at ${settings.url}, database ${settings.database}`;
  }

  /** Creates the database when missing (idempotent in InfluxDB), so that a first run just works. */
  async ensureDatabase(): Promise<void> {
    const answer = await this.post(
      '/query',
      { q: `CREATE DATABASE ${quoteIdentifier(this.settings.database)}` },
      '',
    );
    if (answer.statusCode >= 300) {
      throw this.httpError('could not create the database', answer.statusCode, answer.body);
    }
  }

  async write(lines: readonly string[]): Promise<void> {
    for (const batch of batches(lines, this.settings.batchSize)) {
      const params: Record<string, string> = { db: this.settings.database, precision: 'ms' };
      if (this.settings.retentionPolicy) params.rp = this.settings.retentionPolicy;
      const answer = await this.post('/write', params, batch.join('\n'));
      if (answer.statusCode !== 204 && answer.statusCode !== 200) {
        throw this.httpError(`write of ${batch.length} points refused`, answer.statusCode, answer.body);
      }
    }
  }

  async close(): Promise<void> {}

  private async post(path: string, searchParams: Record<string, string>, body: string) {
    const { username, password } = this.settings;
    const url = new URL(this.settings.url + path);
    for (const [key, value] of Object.entries(searchParams)) url.searchParams.set(key, value);
    try {
      return await postText(url, body, {
        headers: username
          ? { authorization: `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}` }
          : {},
        timeoutMs: this.settings.timeoutMs,
      });
    } catch (error) {
      const { answer, detail } = describeTransportError(error, this.settings.timeoutMs);
      throw new InfluxWriteError(
        `InfluxDB at ${this.settings.url} could not be reached: ${detail}`,
        classifyInfluxAnswer(answer),
        undefined,
        error,
      );
    }
  }

  private httpError(what: string, status: number, body: string): InfluxWriteError {
    const reason = serverReason(body);
    const message = redact(`InfluxDB ${what}: HTTP ${status}: ${reason}`, [this.settings.password]);
    return new InfluxWriteError(message, classifyInfluxAnswer({ kind: 'http', status }), status);
  }
}

/** InfluxDB answers `{"error":"…"}`; fall back to the raw text. */
export function serverReason(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    const reason = parsed.error ?? parsed.message;
    if (typeof reason === 'string') return reason;
  } catch {
    // not JSON: use the text
  }
  return body.trim().slice(0, 300) || '(empty body)';
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
