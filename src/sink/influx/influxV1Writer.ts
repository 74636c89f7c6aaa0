import type { InfluxV1Settings } from '../../model/settings.js';
import { redact } from '../../errors.js';
import { classifyInfluxAnswer } from '../../failures/classify.js';
import { describeTransportError } from '../../failures/transportError.js';
import { postText } from './httpPost.js';
import { batches, type GroupRemoval } from '../sink.js';
import {
  influxqlDeletes,
  influxqlDeletesKeeping,
  influxqlGroupsFound,
  staleGroupsIn,
  type StaleGroups,
} from './deletion.js';
import { LineBatch } from './lineBatch.js';
import { fatalKindOf, InfluxWriteError, type LineWriter } from './lineWriter.js';
import { serverReason } from './refusals.js';

/** InfluxDB 1.x: POST /write?db=&rp=&precision=ms, user and password by basic auth. */
export class InfluxV1Writer implements LineWriter {
  readonly description: string;
  /** False once InfluxDB refused the user a SELECT: removals then delete without a look. */
  private mayRead = true;

  constructor(
    private readonly settings: InfluxV1Settings,
    version: string,
  ) {
    this.description = `InfluxDB ${version} at ${settings.url}, database ${settings.database}`;
  }

  /**
   * Writes in batches. A database that does not exist (a first run, or dropped while the service runs)
   * is created and the batch written again; the database is not created up front, because a user
   * allowed only to write may not run CREATE DATABASE, and does not need to when it exists.
   */
  async write(batch: LineBatch): Promise<void> {
    // The body as it is when it fits one write (the sink sends chunks of batchSize); else in parts.
    const parts =
      batch.count <= this.settings.batchSize
        ? [batch]
        : [...batches(batch.lines, this.settings.batchSize)].map((lines) => LineBatch.of(lines));
    for (const part of parts) {
      let answer = await this.postWrite(part.body);
      if (isDatabaseNotFound(answer)) {
        await this.createDatabase();
        answer = await this.postWrite(part.body);
      }
      if (answer.statusCode !== 204 && answer.statusCode !== 200) {
        throw this.httpError(`write of ${part.count} points refused`, answer.statusCode, answer.body);
      }
    }
  }

  /**
   * Whether InfluxDB refuses who we say we are: 401 to a harmless query. (A 403 is left to the first
   * write: a user allowed only to write may not be allowed this query.) Undefined when it does not.
   */
  async credentialsRefusal(): Promise<string | undefined> {
    const answer = await this.post('/query', { q: 'SHOW DATABASES' }, '').catch(() => undefined);
    if (answer?.statusCode !== 401) return undefined;
    return this.httpError('refused the credentials', answer.statusCode, answer.body).message;
  }

  private postWrite(body: Buffer) {
    const params: Record<string, string> = { db: this.settings.database, precision: 'ms' };
    if (this.settings.retentionPolicy) params.rp = this.settings.retentionPolicy;
    return this.post('/write', params, body);
  }

  private async createDatabase(): Promise<void> {
    const { database } = this.settings;
    const answer = await this.post('/query', { q: `CREATE DATABASE ${quoteIdentifier(database)}` }, '');
    if (answer.statusCode >= 300) {
      const error = this.httpError(
        `has no database "${database}" and could not create it (create it, or set INFLUX_USERNAME to a user allowed to)`,
        answer.statusCode,
        answer.body,
      );
      // A user who may not create it is a setting to fix, whatever the status says.
      throw new InfluxWriteError(error.message, 'fatal', { fatal: fatalKindOf(answer.statusCode) });
    }
  }

  /**
   * Deletes what the removals name: first looks which groups each series holds in its range, then
   * deletes, in one request, only those not kept — nothing at all when none is found (deletion.ts says
   * why). A user refused the look (WRITE without READ) deletes by the groups kept, as before. InfluxDB
   * answers 200 even when a statement fails, with the error in that statement's result: any such error
   * refuses the removal.
   */
  async remove(removals: readonly GroupRemoval[]): Promise<'removed'> {
    if (removals.length === 0) return 'removed';
    const stale = this.mayRead ? await this.staleGroups(removals) : undefined;
    const deletes = stale ? influxqlDeletes(stale) : influxqlDeletesKeeping(removals);
    if (deletes === '') return 'removed';
    const answer = await this.post('/query', { db: this.settings.database, q: deletes }, '');
    const failed = answer.statusCode >= 300 ? answer.body : statementError(answer.body);
    if (failed !== undefined)
      throw this.httpError(
        `refused to delete ${removals.length} series' stale groups`,
        answer.statusCode,
        failed,
      );
    return 'removed';
  }

  /**
   * The look before a removal: the groups each series holds in its range and does not keep; undefined
   * once InfluxDB says the user may not read (remembered: not asked again).
   */
  private async staleGroups(removals: readonly GroupRemoval[]): Promise<StaleGroups[] | undefined> {
    const answer = await this.post(
      '/query',
      { db: this.settings.database, q: influxqlGroupsFound(removals) },
      '',
    );
    const what = `refused to say which groups ${removals.length} series hold`;
    if (NOT_AUTHORIZED.test(answer.body) && (answer.statusCode === 403 || answer.statusCode < 300)) {
      this.mayRead = false;
      return undefined;
    }
    if (answer.statusCode >= 300) throw this.httpError(what, answer.statusCode, answer.body);
    try {
      return staleGroupsIn(answer.body, removals);
    } catch (error) {
      throw this.httpError(what, answer.statusCode, (error as Error).message);
    }
  }

  async close(): Promise<void> {}

  private async post(path: string, searchParams: Record<string, string>, body: string | Buffer) {
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
        { cause: error },
      );
    }
  }

  private httpError(what: string, status: number, body: string): InfluxWriteError {
    const secrets = [this.settings.password];
    const reason = serverReason(body);
    const hint =
      status === 401 || status === 403
        ? this.settings.username
          ? ': check INFLUX_USERNAME and INFLUX_PASSWORD, and that the user may write to the database'
          : ': this InfluxDB requires authentication: set INFLUX_USERNAME and INFLUX_PASSWORD'
        : '';
    const message = redact(`InfluxDB ${what}: HTTP ${status}: ${reason}${hint}`, secrets);
    return new InfluxWriteError(message, classifyInfluxAnswer({ kind: 'http', status }), {
      fatal: fatalKindOf(status),
      body: redact(body, secrets),
    });
  }
}

/** The first error in a /query answer's results, if any ("database not found" is none: nothing to delete). */
/** InfluxDB 1.x refusing a statement the user lacks the privilege for: "… not authorized to execute statement …". */
const NOT_AUTHORIZED = /not authorized to execute/i;

function statementError(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: string; results?: { error?: string }[] };
    const error = parsed.error ?? parsed.results?.find((r) => r.error !== undefined)?.error;
    return error === undefined || /database not found/i.test(error) ? undefined : JSON.stringify({ error });
  } catch {
    return body;
  }
}

/** InfluxDB 1.x answers a write to a missing database with 404 `database not found: "x"`. */
function isDatabaseNotFound(answer: { statusCode: number; body: string }): boolean {
  return answer.statusCode === 404 && /database not found/i.test(answer.body);
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
