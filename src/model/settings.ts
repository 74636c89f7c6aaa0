/** The typed settings each layer reads: resolved once from jobs.yaml and the environment (config/). */
import type { AggInterval } from './vocabulary.js';

export type RadarAuth = { kind: 'token'; token: string } | { kind: 'key'; email: string; key: string };

export interface RadarSettings {
  baseUrl: string;
  auth: RadarAuth | undefined;
  timeoutMs: number;
  retries: number;
  /** First backoff delay; doubles per retry, with jitter. */
  retryDelayMs: number;
  /** How long a throttle answer without retry-after pauses every request (Cloudflare's lock-out: 5 min). */
  throttlePauseMs: number;
  /** Requests allowed in any 5-minute span, for every job together. */
  rateLimitPer5Min: number;
  concurrency: number;
  /** Answers larger than this fail while being read (memory stays bounded whatever Radar sends). */
  maxResponseBytes: number;
}

export type InfluxApiVersion = 'auto' | '1' | '2' | '3';

/** The InfluxDB settings as configured, for whichever API the server turns out to speak (see connect.ts). */
export interface InfluxSettings {
  url: string;
  apiVersion: InfluxApiVersion;
  database: string;
  retentionPolicy: string | undefined;
  username: string | undefined;
  password: string | undefined;
  org: string | undefined;
  bucket: string | undefined;
  token: string | undefined;
  batchSize: number;
  timeoutMs: number;
}

/** What the 1.x API (`/write`, `/query`) is written with: a database, and a user when it asks for one. */
export interface InfluxV1Settings {
  url: string;
  database: string;
  retentionPolicy: string | undefined;
  username: string | undefined;
  password: string | undefined;
  batchSize: number;
  timeoutMs: number;
}

/** What the 2.x and 3.x API (`/api/v2/write`) is written with: a bucket and a token, an org for 2.x. */
export interface InfluxV2Settings {
  url: string;
  org: string | undefined;
  bucket: string;
  token: string;
  batchSize: number;
  timeoutMs: number;
}

export interface ServiceSettings {
  /** Where /healthz, /readyz and /metrics are served; undefined when off. */
  listen: { host: string; port: number } | undefined;
  runOnStart: boolean;
  /** Each scheduled run starts up to this much later, at random, to spread load. */
  jitterMs: number;
  /** How long shutdown waits for windows in flight. */
  graceMs: number;
  /** /readyz fails when no query has succeeded for this long. */
  staleAfterMs: number;
  /** How often the service writes its own counters to InfluxDB (radar_service). */
  statsEveryMs: number;
}

export interface Settings {
  service: ServiceSettings;
  radar: RadarSettings;
  influx: InfluxSettings;
  stateDir: string;
  /** The disk spool's bound: past it, fetching waits for InfluxDB (back-pressure, never drop). */
  spoolMaxBytes: number;
  windowMs: Record<AggInterval, number>;
  settleMs: number;
}
