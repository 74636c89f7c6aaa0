import got from 'got';
import type { InfluxSettings } from '../../model/settings.js';
import { InfluxV1Sink } from './influxV1.js';
import { InfluxV2Sink } from './influxV2.js';
import { InfluxWriteError, type LineWriter } from './lineWriter.js';
import type { LineBatch } from './lineBatch.js';

/** Which write API a server speaks, from the version /ping reports ("1.6.7~rc0", "v2.7.4", "3.0.1"). */
export function apiFromVersion(version: string): '1' | '2' | '3' {
  const major = /^v?(\d+)/.exec(version)?.[1];
  return major === '1' ? '1' : major === '3' ? '3' : '2';
}

export async function pingVersion(settings: InfluxSettings): Promise<string> {
  try {
    const answer = await got(`${settings.url}/ping`, {
      timeout: { request: settings.timeoutMs },
      retry: { limit: 0 },
      throwHttpErrors: false,
    });
    const version = answer.headers['x-influxdb-version'];
    if (typeof version === 'string' && version !== '') return version;
    throw new Error(`HTTP ${answer.statusCode} without an X-Influxdb-Version header: is this InfluxDB?`);
  } catch (error) {
    throw new InfluxWriteError(
      `InfluxDB at ${settings.url} did not answer /ping: ${(error as Error).message}`,
      'retry',
      undefined,
      error,
    );
  }
}

/**
 * The InfluxDB sink, connected at the first write rather than at start: a service started while
 * InfluxDB is down spools its points and carries on; the API is detected once the server answers.
 */
export class LazyInfluxSink implements LineWriter {
  private connected: LineWriter | undefined;
  private connecting: Promise<LineWriter> | undefined;

  /** `knownVersion`: what /ping said at start (checkInflux), so that it is not asked again. */
  constructor(
    private readonly settings: InfluxSettings,
    private readonly knownVersion?: string,
  ) {}

  get description(): string {
    return this.connected?.description ?? `InfluxDB at ${this.settings.url}`;
  }

  async write(batch: LineBatch): Promise<void> {
    const sink =
      this.connected ??
      (await (this.connecting ??= connectInflux(this.settings, this.knownVersion).finally(
        () => (this.connecting = undefined),
      )));
    this.connected = sink;
    await sink.write(batch);
  }

  async close(): Promise<void> {
    await this.connected?.close();
  }
}

/**
 * What can be known of InfluxDB before the first write: the mistakes the user must fix (none when all
 * is well, or when InfluxDB cannot be reached now: then points wait in the spool, and `onUnreachable`
 * says why), and the version /ping reported, if it answered.
 */
export async function checkInflux(
  settings: InfluxSettings,
  onUnreachable: (reason: string) => void,
): Promise<{ problems: string[]; version?: string }> {
  const lacksV2Credentials = !settings.bucket || !settings.token;
  if (settings.apiVersion === '2' || settings.apiVersion === '3')
    return {
      problems: lacksV2Credentials
        ? [
            `influx.apiVersion ${settings.apiVersion} needs INFLUX_BUCKET and INFLUX_TOKEN (or influx.bucket and influx.token)`,
          ]
        : [],
    };
  let version: string;
  try {
    version = await pingVersion(settings);
  } catch (error) {
    onUnreachable((error as Error).message);
    return { problems: [] };
  }
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
  const refusal = await new InfluxV1Sink(settings, version).credentialsRefusal();
  return { version, problems: refusal === undefined ? [] : [refusal] };
}

/**
 * Opens the sink the settings ask for; `auto` asks the server which API it speaks, unless its
 * answer is already known.
 */
export async function connectInflux(settings: InfluxSettings, knownVersion?: string): Promise<LineWriter> {
  const version =
    settings.apiVersion === 'auto'
      ? (knownVersion ?? (await pingVersion(settings)))
      : `${settings.apiVersion}.x`;
  const api = settings.apiVersion === 'auto' ? apiFromVersion(version) : settings.apiVersion;
  if (api === '1') return new InfluxV1Sink(settings, version);
  return new InfluxV2Sink(settings, version);
}
