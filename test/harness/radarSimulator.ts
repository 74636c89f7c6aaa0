/**
 * A Radar NetFlows API on loopback (docs/design.md, "Tests"): auth, validation errors, windows, groups,
 * `other`, several series, and faults on demand. Every request is recorded with what was answered,
 * so that tests can compare InfluxDB with exactly what the API served.
 */
import { answerEntities, type EntityFault, type EntityServed } from './simEntities.js';
import { sendFaulty, type Fault, type Served } from './simFaults.js';

export type { EntityFault, EntityServed } from './simEntities.js';
export type { Fault, Served } from './simFaults.js';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  annotationsFor,
  buildSeries,
  type TrafficAdjustment,
  formatValue,
  INTERVAL_MS,
  iso,
  META_INTERVAL,
  mondayOnOrBefore,
  normalize,
  type SeriesAsk,
} from './simData.js';

// Countries, and Radar's own region codes, which /radar/entities/locations lists and real answers of
// April 2026 carried (AP, EU, AN).
const LOCATIONS = new Set(
  'US DE GB FR JP BR IN PT ES IT NL CA AU KR SE PL MX AR ZA SG CN RU UA AP EU AN'.split(' '),
);
const KNOWN_PARAMS = new Set([
  'aggInterval',
  'dateRange',
  'dateStart',
  'dateEnd',
  'location',
  'asn',
  'continent',
  'geoId',
  'product',
  'name',
  'limitPerGroup',
  'normalization',
  'format',
]);
/** The longest range each interval is answered for (docs/radar-api.md, observed: 7 days at 15m, ~31 at 1h). */
const MAX_RANGE_MS: Record<string, number> = {
  '15m': 7 * 86_400_000,
  '1h': 31 * 86_400_000,
  '1d': 366 * 86_400_000,
  '1w': 366 * 86_400_000,
};

class BadRequest extends Error {}
/**
 * A window longer than Radar answers, refused as third parties saw it: a 400 whose only message is
 * "Internal Error", no code, `result: {}` (docs/radar-api.md, "Windows Radar refuses").
 */
class BareInternalError extends Error {}

export class RadarSimulator {
  readonly served: Served[] = [];
  private readonly faults: { fault: Fault; remaining: number }[] = [];
  private readonly sockets = new Set<Socket>();
  private server: http.Server | undefined;
  /**
   * Whether an answer holds the bucket that starts at `dateEnd`: true, as the API reference says
   * ("End of the date range (inclusive)") and Cloudflare's published outputs show (docs/radar-api.md);
   * false plays the `[dateStart, dateEnd)` answers the product must keep handling too.
   */
  dateEndInclusive = true;
  /** Data exists up to here (exclusive); tests move it to play late data. Default: now. */
  dataUntilMs: () => number = () => Date.now();
  token = 'sim-token-0123456789';
  /** Requests for these dimensions are answered 500, for as long as they are in the set. */
  readonly refuseDimensions = new Set<string>();
  /** Changes raw traffic before it is cut and normalized: outages, revised values. */
  adjust: TrafficAdjustment | undefined = undefined;
  /** The longest range answered per interval; tests shrink it to play a Radar that refuses a window. */
  readonly maxRangeMs: Record<string, number> = { ...MAX_RANGE_MS };
  /** How a range over maxRangeMs is refused: a 400 that names the range, or a bare 400 "Internal Error". */
  rangeRefusal: 'names-the-range' | 'internal-error' = 'names-the-range';
  /** Delay before every answer, to make long work observable (and killable) halfway. */
  responseDelayMs = 0;
  /** Benchmarks: keep no bodies in `served` (memory), and answer repeated requests from a cache (CPU). */
  recordBodies = true;
  /** Bytes of every answer sent (benchmarks: what a run reads from Radar). */
  bytesServed = 0;
  private readonly cache: Map<string, string> | undefined;
  /** Requests to the entity endpoints (names), apart from the NetFlows ones in `served`. */
  readonly entityServed: EntityServed[] = [];
  /** Faults for the entity endpoints, each served to every entity request until cleared. */
  entityFault: EntityFault | undefined = undefined;
  /** 1 and up: Radar renamed an AS (simNames.ts RENAMED). */
  nameGeneration = 0;
  /**
   * Put before every AS group key of an answer: '' answers `13335`, 'AS' answers `AS13335` (no real
   * AS key has been seen in public: both forms must work).
   */
  asKeyPrefix = '';
  /** The user's quota as Cloudflare's `Ratelimit` header tells it; undefined: no header. */
  quota: { remaining: number; resetSec: number } | undefined = undefined;

  constructor(options: { cacheResponses?: boolean } = {}) {
    this.cache = options.cacheResponses ? new Map() : undefined;
  }
  url = '';

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/client/v4`;
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** The next `times` answers to NetFlows requests carry this fault. */
  inject(fault: Fault, times = 1): void {
    this.faults.push({ fault, remaining: times });
  }

  /** Forgets the faults still waiting to be served. */
  clearFaults(): void {
    this.faults.length = 0;
  }

  get successful(): Served[] {
    return this.served.filter((s) => s.body !== undefined);
  }

  private nextFault(): Fault | undefined {
    const next = this.faults[0];
    if (!next) return undefined;
    if (--next.remaining <= 0) this.faults.shift();
    return next.fault;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.responseDelayMs > 0) {
      setTimeout(() => this.respond(req, res), this.responseDelayMs);
      return;
    }
    this.respond(req, res);
  }

  private respond(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://sim');
    // `timeseries_groups/{dimension}`, or `timeseries` (the traffic level, recorded as TRAFFIC_LEVEL).
    const match = /^\/client\/v4\/radar\/netflows\/timeseries(?:_groups\/([^/]+))?$/i.exec(url.pathname);
    const params: Record<string, string[]> = {};
    for (const [k, v] of url.searchParams) (params[k] ??= []).push(v);
    const entity = /^\/client\/v4\/radar\/(entities\/asns|entities\/locations|geolocations)$/.exec(
      url.pathname,
    );
    if (entity) return answerEntities(this, req, res, entity[1]!, params);
    const record: Served = {
      atMs: Date.now(),
      dimension: match ? (match[1]?.toUpperCase() ?? TRAFFIC_LEVEL) : '',
      params,
      rawQuery: url.search.slice(1),
      status: 0,
    };
    this.served.push(record);
    if (this.quota) {
      // Cloudflare's header since 2025-09 (docs/radar-api.md): the user's remaining quota after this request.
      this.quota.remaining = Math.max(0, this.quota.remaining - 1);
      res.setHeader('ratelimit', `"default";r=${this.quota.remaining};t=${this.quota.resetSec}`);
    }
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      record.status = status;
      const text = JSON.stringify(body);
      this.bytesServed += Buffer.byteLength(text);
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(text);
    };
    const fail = (status: number, code: number, message: string, headers?: Record<string, string>): void =>
      send(status, { success: false, errors: [{ code, message }], messages: [], result: null }, headers);
    if (!match) return fail(400, 7000, 'No route for that URI');
    const authError = this.checkAuth(req);
    if (authError) return fail(authError.status, authError.code, authError.message);
    if (this.refuseDimensions.has(record.dimension)) return fail(500, 2000, 'Internal error');
    const fault = this.nextFault();
    if (fault) record.fault = fault.kind;
    // The answer depends on the data horizon too (lastUpdated, the newest buckets).
    const cacheKey = `${this.dataUntilMs()} ${req.url ?? ''}`;
    const cached = fault ? undefined : this.cache?.get(cacheKey);
    if (cached !== undefined) {
      record.status = 200;
      this.bytesServed += Buffer.byteLength(cached);
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(cached);
    }
    if (fault?.kind === 'status') {
      return fail(
        fault.status,
        fault.code ?? fault.status,
        fault.message ?? http.STATUS_CODES[fault.status] ?? 'error',
        fault.retryAfterSec !== undefined ? { 'retry-after': String(fault.retryAfterSec) } : {},
      );
    }
    if (fault?.kind === 'success-false') return fail(200, fault.code, fault.message);
    if (fault?.kind === 'hang') return void (record.status = -1);
    let result: Record<string, unknown>;
    try {
      result = this.answer(record.dimension, params);
    } catch (error) {
      if (error instanceof BadRequest) return fail(400, 2001, error.message);
      if (error instanceof BareInternalError)
        return send(400, {
          success: false,
          errors: [{ message: 'Internal Error' }],
          messages: [],
          result: {},
        });
      throw error;
    }
    const body = { success: true, errors: [], messages: [], result };
    if (fault) return sendFaulty(fault, body, res, record);
    if (this.recordBodies) record.body = body;
    if (this.cache) this.cache.set(cacheKey, JSON.stringify(body));
    send(200, body);
  }

  /** The credentials of a request as Radar judges them: undefined when accepted, else the refusal. */
  checkAuth(req: http.IncomingMessage): { status: number; code: number; message: string } | undefined {
    const authorization = req.headers.authorization;
    if (authorization !== undefined) {
      if (!/^Bearer \S+$/.test(authorization))
        return { status: 400, code: 6003, message: 'Invalid request headers' };
      return authorization === `Bearer ${this.token}`
        ? undefined
        : { status: 401, code: 1000, message: 'Invalid API Token' };
    }
    if (
      req.headers['x-auth-email'] === 'sim@example.test' &&
      req.headers['x-auth-key'] === 'sim-global-key-abcdef'
    )
      return undefined;
    return { status: 403, code: 10000, message: 'Authentication error' };
  }

  /** Validates like Radar (docs/radar-api.md), then builds the result. */
  private answer(dimension: string, params: Record<string, string[]>): Record<string, unknown> {
    for (const key of Object.keys(params))
      if (!KNOWN_PARAMS.has(key)) throw new BadRequest(`Unknown parameter ${key}`);
    if (dimension === TRAFFIC_LEVEL) return this.answerLevel(params);
    if (!GROUP_DIMENSIONS.includes(dimension)) throw new BadRequest('Invalid dimension');
    const interval = params.aggInterval?.[0];
    if (!interval || !(interval in INTERVAL_MS)) throw new BadRequest('Invalid aggInterval');
    const normalization = params.normalization?.[0] ?? 'PERCENTAGE';
    if (!['PERCENTAGE', 'MIN0_MAX'].includes(normalization)) throw new BadRequest('Invalid normalization');
    const limit = params.limitPerGroup ? Number(params.limitPerGroup[0]) : undefined;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 2))
      throw new BadRequest('limitPerGroup must be an integer >= 2');
    if (limit !== undefined && dimension === 'PRODUCT')
      throw new BadRequest('limitPerGroup is not supported for this dimension');
    checkLocations(params);
    const asks = this.seriesAsks(params, interval);
    const horizonMs = this.dataUntilMs();
    const built = asks.map((ask) =>
      buildSeries(ask, dimension, INTERVAL_MS[interval]!, horizonMs, limit, this.adjust),
    );
    normalize(built, normalization);
    const result = this.metaOf(asks, interval, normalization, horizonMs);
    for (const series of built) {
      const out: Record<string, string[]> = { timestamps: series.timestamps.map(iso) };
      for (const [key, values] of series.groups)
        out[dimension === 'AS' && key !== 'other' ? `${this.asKeyPrefix}${key}` : key] =
          values.map(formatValue);
      result[series.key] = out;
    }
    return result;
  }

  /**
   * `netflows/timeseries`: the traffic of the series' filters over every location (the sum of the
   * LOCATION groups' raw traffic, so an outage played on locations shows in it), one `values` column
   * per series, MIN0_MAX over the whole answer (cloudflare-typescript netflows.ts; docs/radar-api.md).
   * No `limitPerGroup`; PERCENTAGE_CHANGE needs a control range, which dates cannot give.
   */
  private answerLevel(params: Record<string, string[]>): Record<string, unknown> {
    if (params.limitPerGroup) throw new BadRequest('Unknown parameter limitPerGroup');
    const interval = params.aggInterval?.[0];
    if (!interval || !(interval in INTERVAL_MS)) throw new BadRequest('Invalid aggInterval');
    const normalization = params.normalization?.[0] ?? 'MIN0_MAX';
    if (normalization === 'PERCENTAGE_CHANGE')
      throw new BadRequest('PERCENTAGE_CHANGE normalization requires a control date range');
    if (normalization !== 'MIN0_MAX') throw new BadRequest('Invalid normalization');
    checkLocations(params);
    const asks = this.seriesAsks(params, interval);
    const horizonMs = this.dataUntilMs();
    const built = asks.map((ask) => {
      const byLocation = buildSeries(
        ask,
        'LOCATION',
        INTERVAL_MS[interval]!,
        horizonMs,
        undefined,
        this.adjust,
      );
      const total = byLocation.timestamps.map((_, i) =>
        [...byLocation.groups.values()].reduce((sum, values) => sum + values[i]!, 0),
      );
      return { key: ask.key, timestamps: byLocation.timestamps, groups: new Map([['values', total]]) };
    });
    normalize(built, normalization);
    const result = this.metaOf(asks, interval, normalization, horizonMs);
    for (const series of built)
      result[series.key] = {
        timestamps: series.timestamps.map(iso),
        values: series.groups.get('values')!.map(formatValue),
      };
    return result;
  }

  private metaOf(
    asks: SeriesAsk[],
    interval: string,
    normalization: string,
    horizonMs: number,
  ): Record<string, unknown> {
    return {
      meta: {
        aggInterval: META_INTERVAL[interval],
        confidenceInfo: {
          level: 5,
          annotations: annotationsFor(asks[0]!.startMs, Math.min(asks[0]!.endMs, horizonMs)),
        },
        dateRange: asks.map((a) => ({ startTime: iso(a.startMs), endTime: iso(a.endMs) })),
        lastUpdated: iso(Math.floor(horizonMs / 900_000) * 900_000),
        normalization,
        units: [{ name: '*', value: 'bytes' }],
      },
    };
  }

  private seriesAsks(params: Record<string, string[]>, interval: string): SeriesAsk[] {
    const starts = params.dateStart ?? [];
    const ends = params.dateEnd ?? [];
    if (starts.length === 0 || starts.length !== ends.length)
      throw new BadRequest('dateStart and dateEnd must be given in pairs');
    const names = params.name ?? [];
    if (names.length > 0 && names.length !== starts.length)
      throw new BadRequest('name must label every series');
    const floor15 = (ms: number) => Math.floor(ms / 900_000) * 900_000;
    return starts.map((start, i) => {
      const startMs = Date.parse(start);
      const endMs = Date.parse(ends[i]!);
      if (!/Z$/.test(start) || !Number.isFinite(startMs) || !Number.isFinite(endMs))
        throw new BadRequest('Invalid dateStart/dateEnd');
      if (endMs <= startMs) throw new BadRequest('dateEnd must be after dateStart');
      if (endMs - startMs > this.maxRangeMs[interval]!)
        throw this.rangeRefusal === 'internal-error'
          ? new BareInternalError()
          : new BadRequest(`Date range too long for aggInterval ${interval}`);
      const filterSeed = ['location', 'asn', 'continent', 'geoId', 'product']
        .map((f) => params[f]?.[i] ?? '')
        .join('|');
      // Weekly answers: Radar adjusts the range to its Monday weeks and says so in meta.dateRange
      // (dateRange=52w asked on a Friday came back Monday to Monday: docs/radar-api.md).
      const adjust = interval === '1w' ? mondayOnOrBefore : floor15;
      return {
        key: names[i] ?? `serie_${i}`,
        seed: filterSeed,
        startMs: adjust(startMs),
        endMs: adjust(endMs),
        endInclusive: this.dateEndInclusive,
      };
    });
  }
}

const GROUP_DIMENSIONS = ['ADM1', 'AS', 'LOCATION', 'PRODUCT'];
/** How `served` records a `netflows/timeseries` request (the product's own name for it). */
export const TRAFFIC_LEVEL = 'TRAFFIC_LEVEL';

function checkLocations(params: Record<string, string[]>): void {
  for (const item of (params.location ?? []).flatMap((v) => (v === '' ? [] : v.split(',')))) {
    if (!LOCATIONS.has(item.replace(/^-/, '')))
      throw new BadRequest('Invalid location codes. Must be valid alpha-2 location codes');
  }
}
