import type { RadarAuth, RadarSettings, Settings } from '../model/settings.js';
import { UsageError } from '../errors.js';
import type { RawConfig } from './schema.js';
import { INTERVALS, type AggInterval } from '../model/vocabulary.js';
import { HOUR_MS } from '../util/time.js';
import { KNOWN_GOOD_WINDOW_MS } from '../radar/vocabulary.js';

/**
 * Window length per interval when jobs.yaml says nothing: as large as Radar is known to answer
 * (radar/vocabulary.ts, KNOWN_GOOD_WINDOW_MS), because every request counts against Cloudflare's 1200
 * per 5 minutes (a year of one 15m query: 53 requests instead of 366). A window Radar refuses as too
 * large is split by itself (pipeline/windowSplit.ts), and the log names the `windows:` entry that
 * avoids the refusal.
 */
export const DEFAULT_WINDOW_MS: Record<AggInterval, number> = { ...KNOWN_GOOD_WINDOW_MS };
/**
 * The largest legitimate answer is about 1.5 MB: 672 buckets (15m data in 7 days, or 1h data in 28
 * days) × 3 series × (a 22-byte timestamp + 50 groups × about 14 bytes a value). 32 MiB leaves a
 * twenty-fold margin and still bounds what one answer can cost in memory.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

export const DEFAULT_RADAR_URL = 'https://api.cloudflare.com/client/v4';
/** Requests per 5 minutes when jobs.yaml does not say: half of Cloudflare's limit, leaving room for other clients of the same account. */
export const DEFAULT_RATE_LIMIT = 600;
/**
 * How long a stop waits for the requests on the wire (service.graceMs); docker-compose.yml's
 * stop_grace_period and the unit's TimeoutStopSec leave more than this before they kill.
 */
export const DEFAULT_GRACE_MS = 30_000;
/** Cloudflare's global limit (docs/radar-api.md): more blocks every call for the next 5 minutes. */
export const CLOUDFLARE_LIMIT_PER_5_MIN = 1200;

/** The environment's variables, an empty one counting as unset. */
type Env = (name: string) => string | undefined;

/** Every mistake in the environment reported at once, one line each, not the first one only. */
class Problems {
  readonly lines: string[] = [];
  /** `read()`, or `fallback` with its UsageError kept. */
  checked<T>(read: () => T, fallback: T): T {
    try {
      return read();
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      this.lines.push(error.message);
      return fallback;
    }
  }
}

const NO_URL = { url: DEFAULT_RADAR_URL, username: undefined, password: undefined };

/**
 * Connection settings: jobs.yaml first, then the environment, which wins (docs/design.md, "What users
 * type"). Empty environment variables count as unset.
 */
export function resolveSettings(config: RawConfig, env: NodeJS.ProcessEnv): Settings {
  const e: Env = (name) => (env[name] === '' ? undefined : env[name]);
  const problems = new Problems();
  const radar = radarSettings(config, e, problems);
  const influx = influxSettings(config, e, problems);
  const service = serviceSettings(config, e, problems);
  if (problems.lines.length > 0) throw new UsageError(problems.lines.join('\n'));
  const windowMs = { ...DEFAULT_WINDOW_MS };
  for (const interval of INTERVALS) {
    const lengthMs = config.windows?.[interval];
    if (lengthMs !== undefined) windowMs[interval] = lengthMs;
  }
  return {
    service,
    radar,
    influx,
    stateDir: e('STATE_DIR') ?? config.state?.dir ?? './data',
    spoolMaxBytes: (config.state?.spoolMaxMB ?? 1024) * 1024 * 1024,
    windowMs,
    settleMs: config.windows?.settle ?? HOUR_MS,
  };
}

function radarSettings(config: RawConfig, e: Env, problems: Problems): RadarSettings {
  const radar = config.radar ?? {};
  const token = e('CLOUDFLARE_API_TOKEN') ?? radar.token;
  const email = e('CLOUDFLARE_API_EMAIL') ?? radar.email;
  const key = e('CLOUDFLARE_API_KEY') ?? radar.key;
  const radarUrl = problems.checked(
    () =>
      splitCredentials(
        e('RADAR_API_URL') ? 'RADAR_API_URL' : 'radar.url',
        e('RADAR_API_URL') ?? radar.url ?? DEFAULT_RADAR_URL,
      ),
    NO_URL,
  );
  if (radarUrl.username !== undefined)
    problems.lines.push(
      'RADAR_API_URL / radar.url must not hold credentials: set CLOUDFLARE_API_TOKEN (or CLOUDFLARE_API_EMAIL and CLOUDFLARE_API_KEY)',
    );
  const baseUrl = radarUrl.url;
  const rateLimitPer5Min = radar.rateLimit ?? DEFAULT_RATE_LIMIT;
  if (rateLimitPer5Min > CLOUDFLARE_LIMIT_PER_5_MIN && new URL(baseUrl).hostname.endsWith('cloudflare.com'))
    problems.lines.push(
      `radar.rateLimit ${rateLimitPer5Min} is above Cloudflare's ${CLOUDFLARE_LIMIT_PER_5_MIN} requests per 5 minutes: Cloudflare would block every call for 5 minutes`,
    );
  return {
    baseUrl,
    auth: token ? { kind: 'token', token } : email && key ? { kind: 'key', email, key } : undefined,
    timeoutMs: radar.timeoutMs ?? 30_000,
    retries: radar.retries ?? 6,
    retryDelayMs: radar.retryDelayMs ?? 1000,
    throttlePauseMs: radar.throttlePauseMs ?? 5 * 60_000,
    rateLimitPer5Min,
    concurrency: radar.concurrency ?? 4,
    maxResponseBytes: radar.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
  };
}

function influxSettings(config: RawConfig, e: Env, problems: Problems): Settings['influx'] {
  const influx = config.influx ?? {};
  const influxUrl = problems.checked(
    () =>
      splitCredentials(
        e('INFLUX_URL') ? 'INFLUX_URL' : 'influx.url',
        e('INFLUX_URL') ?? influx.url ?? 'http://localhost:8086',
      ),
    NO_URL,
  );
  return {
    url: influxUrl.url,
    apiVersion: influx.apiVersion ?? 'auto',
    database: e('INFLUX_DATABASE') ?? influx.database ?? 'radar',
    retentionPolicy: influx.retentionPolicy,
    username: e('INFLUX_USERNAME') ?? influx.username ?? influxUrl.username,
    password: e('INFLUX_PASSWORD') ?? influx.password ?? influxUrl.password,
    org: e('INFLUX_ORG') ?? influx.org,
    bucket: e('INFLUX_BUCKET') ?? influx.bucket,
    token: e('INFLUX_TOKEN') ?? influx.token,
    batchSize: influx.batchSize ?? 5000,
    timeoutMs: influx.timeoutMs ?? 10_000,
  };
}

function serviceSettings(config: RawConfig, e: Env, problems: Problems): Settings['service'] {
  const service = config.service ?? {};
  return {
    listen: problems.checked(
      () => parseListen(e('HTTP_LISTEN') ?? service.listen ?? '127.0.0.1:9464'),
      undefined,
    ),
    runOnStart: service.runOnStart ?? true,
    jitterMs: service.jitterMs ?? 0,
    graceMs: service.graceMs ?? DEFAULT_GRACE_MS,
    staleAfterMs: service.staleAfter ?? HOUR_MS,
    statsEveryMs: service.statsEveryMs ?? 60_000,
  };
}

/** Fails before any request when no credentials are configured (the API would answer 400/401). */
export function requireRadarAuth(settings: RadarSettings): RadarAuth {
  if (!settings.auth) {
    throw new UsageError(
      'no Radar credentials: set CLOUDFLARE_API_TOKEN (an API token with Account > Radar > Read), ' +
        'or CLOUDFLARE_API_EMAIL and CLOUDFLARE_API_KEY',
    );
  }
  return settings.auth;
}

/**
 * An http(s) URL without its credentials, which go to their own settings (basic auth) so that the URL
 * can be printed and served. A value that is not an http(s) URL is the user's to fix, named by `what`.
 */
export function splitCredentials(
  what: string,
  text: string,
): { url: string; username: string | undefined; password: string | undefined } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    url = new URL('invalid:');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(
      `${what} "${text.replace(/\/\/[^/@]*@/, '//…@')}" is not an http(s) URL: write it with its scheme, e.g. http://localhost:8086`,
    );
  const username = url.username === '' ? undefined : decodeURIComponent(url.username);
  const password = url.password === '' ? undefined : decodeURIComponent(url.password);
  url.username = '';
  url.password = '';
  return { url: url.toString().replace(/\/+$/, ''), username, password };
}

function parseListen(text: string): { host: string; port: number } | undefined {
  if (text === 'off') return undefined;
  const at = text.lastIndexOf(':');
  const host = at > 0 ? text.slice(0, at).replace(/^\[(.*)\]$/, '$1') : '';
  const portText = text.slice(at + 1);
  const port = Number(portText);
  if (!host || !/^\d{1,5}$/.test(portText) || port > 65535)
    throw new UsageError(
      `HTTP_LISTEN / service.listen "${text}" is not host:port or off` +
        (/^\d+$/.test(text) ? ` (to listen on port ${text} of this host only: 127.0.0.1:${text})` : ''),
    );
  return { host, port };
}
