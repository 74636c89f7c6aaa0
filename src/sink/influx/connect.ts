import got, { RequestError } from 'got';
import type { InfluxSettings, InfluxV1Settings, InfluxV2Settings } from '../../model/settings.js';
import { UsageError } from '../../errors.js';
import { redact } from '../../errors.js';
import { InfluxV1Writer } from './influxV1Writer.js';
import { InfluxV2Writer } from './influxV2Writer.js';
import { InfluxWriteError, type LineWriter } from './lineWriter.js';
import type { LineBatch } from './lineBatch.js';
import type { GroupRemoval } from '../sink.js';
import { systemClock, type Clock } from '../../util/time.js';

/** Which write API a server speaks, from the version /ping reports ("1.6.7~rc0", "v2.7.4", "3.0.1"). */
export function apiFromVersion(version: string): '1' | '2' | '3' {
  const major = /^v?(\d+)/.exec(version)?.[1];
  return major === '1' ? '1' : major === '3' ? '3' : '2';
}

/**
 * What /ping says about INFLUX_URL:
 * - `influx`: an InfluxDB, and its version;
 * - `down`: nothing answers now (refused, no such host, no answer in time): an outage, or a wrong URL;
 * - `wrong`: something answers that is not an InfluxDB we can talk to: a setting to fix, whatever the
 *   spool could wait for (a web server, https against an http port, a certificate we cannot trust);
 * - `refused`: InfluxDB refuses our token on /ping (InfluxDB 3 Core authenticates /ping by default,
 *   `influxdb3_server/src/http.rs`; 1.x and 2.x do not);
 * - `unnamed`: a 2xx without a version (VictoriaMetrics, other implementations of the write APIs):
 *   usable once `influx.apiVersion` says which API it speaks.
 */
export type PingAnswer =
  { kind: 'influx'; version: string } | { kind: 'down' | 'wrong' | 'refused' | 'unnamed'; reason: string };

export async function ping(settings: InfluxSettings): Promise<PingAnswer> {
  const where = `InfluxDB at ${settings.url}`;
  try {
    const answer = await got(`${settings.url}/ping`, {
      timeout: { request: settings.timeoutMs },
      retry: { limit: 0 },
      throwHttpErrors: false,
      // The token when there is one: InfluxDB 3 Core refuses /ping without it (1.x and 2.x ignore it).
      headers: settings.token ? { authorization: `Token ${settings.token}` } : {},
    });
    const version = answer.headers['x-influxdb-version'];
    if (typeof version === 'string' && version !== '') return { kind: 'influx', version };
    if (answer.statusCode === 401 || answer.statusCode === 403)
      return {
        kind: 'refused',
        reason: settings.token
          ? `${where} refused INFLUX_TOKEN on /ping (HTTP ${answer.statusCode}): check INFLUX_TOKEN`
          : `${where} wants a token even on /ping (HTTP ${answer.statusCode}), as InfluxDB 3 Core does: set INFLUX_TOKEN and INFLUX_BUCKET (and influx.apiVersion: 3)`,
      };
    const reason = `${where} answered /ping with HTTP ${answer.statusCode} and no X-Influxdb-Version header`;
    // A proxy or load balancer in front of an InfluxDB that is down says so with a 5xx: an outage.
    if (answer.statusCode >= 500) return { kind: 'down', reason };
    if (answer.statusCode >= 200 && answer.statusCode < 300)
      return {
        kind: 'unnamed',
        reason: `${reason}: if it speaks an InfluxDB write API, say which with influx.apiVersion (1, 2 or 3); else check INFLUX_URL`,
      };
    return { kind: 'wrong', reason: `${reason}: it does not answer like InfluxDB; check INFLUX_URL` };
  } catch (error) {
    const code = error instanceof RequestError ? error.code : undefined;
    const message = redact((error as Error).message, [settings.token]);
    if (code !== undefined && TLS_MISMATCH.has(code))
      return {
        kind: 'wrong',
        reason: `${where} does not speak TLS (${code}): if it serves plain HTTP, write INFLUX_URL with http://`,
      };
    if (code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code))
      return {
        kind: 'wrong',
        reason: `${where} has a TLS certificate Node does not trust (${code}): give Node its CA with NODE_EXTRA_CA_CERTS=/path/ca.pem, or check INFLUX_URL`,
      };
    if (code === 'HPE_INVALID_CONSTANT' || code === 'HPE_INVALID_VERSION')
      return { kind: 'wrong', reason: `${where} does not answer HTTP (${code}): check INFLUX_URL` };
    const why =
      code === 'ENOTFOUND' ? 'no such host' : code === 'ECONNREFUSED' ? 'nothing listens there' : message;
    return { kind: 'down', reason: `${where} did not answer /ping (${code ?? 'error'}: ${why})` };
  }
}

/** An https:// URL at a plain-HTTP port: OpenSSL's words for it, which say nothing to a user. */
const TLS_MISMATCH = new Set(['EPROTO', 'ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG']);

export async function pingVersion(settings: InfluxSettings): Promise<string> {
  const answer = await ping(settings);
  if (answer.kind === 'influx') return answer.version;
  throw new InfluxWriteError(
    answer.reason,
    answer.kind === 'down' ? 'retry' : 'fatal',
    answer.kind === 'refused' ? { fatal: 'credentials' } : {},
  );
}

/**
 * The InfluxDB writer, connected at the first write rather than at start: a service started while
 * InfluxDB is down spools its points and carries on; the API is detected once the server answers.
 */
export class LazyWriter implements LineWriter {
  private connected: LineWriter | undefined;
  private connecting: Promise<LineWriter> | undefined;

  /** `knownVersion`: what /ping said at start (checkInflux), so that it is not asked again. */
  constructor(
    private readonly settings: InfluxSettings,
    private readonly knownVersion?: string,
    /** Told how long each write took (the request-duration histogram of /metrics). */
    private readonly onWriteRequest?: (seconds: number) => void,
    private readonly clock: Clock = systemClock,
  ) {}

  get description(): string {
    return this.connected?.description ?? `InfluxDB at ${this.settings.url}`;
  }

  async write(batch: LineBatch): Promise<void> {
    const writer = await this.connect();
    const startedMs = this.clock.monotonicMs();
    try {
      await writer.write(batch);
    } finally {
      this.onWriteRequest?.((this.clock.monotonicMs() - startedMs) / 1000);
    }
  }

  private async connect(): Promise<LineWriter> {
    this.connected ??= await (this.connecting ??= connectInflux(this.settings, this.knownVersion).finally(
      () => (this.connecting = undefined),
    ));
    return this.connected;
  }

  async remove(removals: readonly GroupRemoval[]): Promise<'removed' | 'unsupported'> {
    const writer = await this.connect();
    return writer.remove ? writer.remove(removals) : 'unsupported';
  }

  async close(): Promise<void> {
    await this.connected?.close();
  }
}

/**
 * What can be known of InfluxDB before the first write: the mistakes the user must fix (none when all
 * is well), and the version /ping reported, if it answered. When nothing answers now, `down` is
 * told why: the caller decides whether that is an outage to wait out (the service, or a state
 * directory that has written before) or a setting to fix (a first one-shot run).
 */
export async function checkInflux(
  settings: InfluxSettings,
  down: (reason: string) => string | undefined,
): Promise<{ problems: string[]; version?: string }> {
  const lacksV2Credentials = !settings.bucket || !settings.token;
  const declared = settings.apiVersion === '2' || settings.apiVersion === '3';
  if (declared && lacksV2Credentials)
    return {
      problems: [
        `influx.apiVersion ${settings.apiVersion} needs INFLUX_BUCKET and INFLUX_TOKEN (or influx.bucket and influx.token)`,
      ],
    };
  const answer = await ping(settings);
  if (answer.kind === 'down') {
    const problem = down(`${answer.reason}: if InfluxDB should be up, check INFLUX_URL`);
    return { problems: problem ? [problem] : [] };
  }
  // A declared API needs no version from /ping; a server that answers like something else is still wrong.
  if (answer.kind === 'unnamed' && settings.apiVersion !== 'auto') return { problems: [] };
  if (answer.kind !== 'influx') return { problems: [answer.reason] };
  const { version } = answer;
  const api = settings.apiVersion === 'auto' ? apiFromVersion(version) : settings.apiVersion;
  if (api !== '1')
    return {
      version,
      problems: lacksV2Credentials
        ? [
            `InfluxDB at ${settings.url} is ${version}: set INFLUX_BUCKET and INFLUX_TOKEN${api === '2' && !settings.org ? ' (and INFLUX_ORG)' : ''}`,
          ]
        : [],
    };
  const refusal = await new InfluxV1Writer(v1SettingsOf(settings), version).credentialsRefusal();
  return { version, problems: refusal === undefined ? [] : [refusal] };
}

/**
 * Opens the writer the settings ask for; `auto` asks the server which API it speaks, unless its
 * answer is already known.
 */
/** The settings the 1.x API is written with. */
export function v1SettingsOf(settings: InfluxSettings): InfluxV1Settings {
  const { url, database, retentionPolicy, username, password, batchSize, timeoutMs } = settings;
  return { url, database, retentionPolicy, username, password, batchSize, timeoutMs };
}

/** The settings the 2.x/3.x API is written with: the one place a missing bucket or token is refused. */
export function v2SettingsOf(settings: InfluxSettings, version: string): InfluxV2Settings {
  const { url, org, bucket, token, batchSize, timeoutMs } = settings;
  if (!bucket || !token)
    throw new UsageError(
      `InfluxDB ${version} at ${url} needs INFLUX_BUCKET and INFLUX_TOKEN${org ? '' : ' (and INFLUX_ORG for 2.x)'}`,
    );
  return { url, org, bucket, token, batchSize, timeoutMs };
}

export async function connectInflux(settings: InfluxSettings, knownVersion?: string): Promise<LineWriter> {
  const version =
    settings.apiVersion === 'auto'
      ? (knownVersion ?? (await pingVersion(settings)))
      : `${settings.apiVersion}.x`;
  const api = settings.apiVersion === 'auto' ? apiFromVersion(version) : settings.apiVersion;
  if (api === '1') return new InfluxV1Writer(v1SettingsOf(settings), version);
  return new InfluxV2Writer(v2SettingsOf(settings, version), version, api);
}
