import { ServiceError } from '../errors.js';
import { checkFilterItem, MAX_DATE_RANGE, productValue } from './vocabulary.js';
import {
  DIMENSIONS_WITHOUT_LIMIT,
  FILTER_NAMES,
  INTERVALS,
  MIN_LIMIT_PER_GROUP,
  NORMALIZATIONS,
  QUERY_DIMENSIONS,
  TRAFFIC_LEVEL,
  TRAFFIC_LEVEL_NORMALIZATION,
  type AggInterval,
  type Filters,
  type Normalization,
  type QueryDimension,
} from '../model/vocabulary.js';

/** One series of a request; its position in `series` is its position in every array parameter. */
export interface RadarSeriesRequest {
  /** Sent as `name[i]`; Radar then keys the series by it in the response. */
  name?: string;
  /** `<n>d`/`<n>w`, optionally followed by `control`; the alternative to dateStart/dateEnd. */
  dateRange?: string;
  /** RFC 3339 date-times, given together. */
  dateStart?: string;
  dateEnd?: string;
  filters?: Filters;
}

/**
 * Every parameter of GET /radar/netflows/timeseries_groups/{dimension}, or, for TRAFFIC_LEVEL, of
 * GET /radar/netflows/timeseries (the same parameters but `limitPerGroup`).
 */
export interface RadarRequest {
  dimension: QueryDimension;
  aggInterval: AggInterval;
  normalization?: Normalization;
  limitPerGroup?: number;
  series: RadarSeriesRequest[];
}

export class RadarRequestError extends ServiceError {
  constructor(message: string) {
    super('radar_request_invalid', `invalid Radar request: ${message}`);
  }
}

const DATE_RANGE = /^([1-9]\d*)([dw])(control)?$/i;

/** Checks a request against the API's rules (docs/radar-api.md) so that Radar never has to say 400. */
export function validateRadarRequest(request: RadarRequest): void {
  const fail = (message: string): never => {
    throw new RadarRequestError(message);
  };
  if (!QUERY_DIMENSIONS.includes(request.dimension))
    fail(`dimension "${request.dimension}" is not one of ${QUERY_DIMENSIONS.join(', ')}`);
  if (!INTERVALS.includes(request.aggInterval))
    fail(`aggInterval "${request.aggInterval}" is not one of ${INTERVALS.join(', ')}`);
  if (request.normalization !== undefined && !NORMALIZATIONS.includes(request.normalization)) {
    fail(`normalization "${request.normalization}" is not one of ${NORMALIZATIONS.join(', ')}`);
  }
  if (
    request.dimension === TRAFFIC_LEVEL &&
    request.normalization !== undefined &&
    request.normalization !== TRAFFIC_LEVEL_NORMALIZATION
  )
    fail(`the traffic level is asked for with normalization ${TRAFFIC_LEVEL_NORMALIZATION} only`);
  if (request.limitPerGroup !== undefined) {
    if (!Number.isInteger(request.limitPerGroup) || request.limitPerGroup < MIN_LIMIT_PER_GROUP)
      fail(
        `limitPerGroup ${request.limitPerGroup} must be a whole number of at least ${MIN_LIMIT_PER_GROUP}`,
      );
    if (DIMENSIONS_WITHOUT_LIMIT.includes(request.dimension))
      fail(`limitPerGroup is not accepted for ${request.dimension}`);
  }
  if (request.series.length === 0) fail('at least one series is needed');
  const named = request.series.filter((s) => s.name !== undefined);
  if (named.length !== 0 && named.length !== request.series.length)
    fail('either every series has a name or none does');
  if (new Set(named.map((s) => s.name)).size !== named.length) fail('series names must be unique');
  const durations = request.series.map((series, i) => seriesDurationMs(series, i, fail));
  if (durations.some((d) => d !== undefined && d !== durations[0]))
    fail('every series must span the same duration');
  request.series.forEach((series, i) => {
    for (const filter of FILTER_NAMES) {
      for (const item of series.filters?.[filter] ?? []) {
        const expected = checkFilterItem(filter, item);
        if (expected) fail(`series ${i}: ${filter} "${item}" is not ${expected}`);
      }
    }
  });
}

function seriesDurationMs(
  series: RadarSeriesRequest,
  i: number,
  fail: (m: string) => never,
): number | undefined {
  const hasDates = series.dateStart !== undefined || series.dateEnd !== undefined;
  if (series.dateRange !== undefined) {
    if (hasDates) fail(`series ${i}: give dateRange or dateStart/dateEnd, not both`);
    const match =
      DATE_RANGE.exec(series.dateRange) ??
      fail(`series ${i}: dateRange "${series.dateRange}" is not <n>d or <n>w, optionally with "control"`);
    const n = Number(match[1]);
    const unit = match[2]!.toLowerCase();
    if (n > MAX_DATE_RANGE[unit as 'd' | 'w'])
      fail(`series ${i}: dateRange "${series.dateRange}" is longer than a year`);
    return n * (unit === 'd' ? 1 : 7) * 86_400_000;
  }
  if (series.dateStart === undefined || series.dateEnd === undefined) {
    return hasDates ? fail(`series ${i}: dateStart and dateEnd go together`) : undefined;
  }
  const start = Date.parse(series.dateStart);
  const end = Date.parse(series.dateEnd);
  if (!Number.isFinite(start) || !Number.isFinite(end))
    fail(`series ${i}: dateStart/dateEnd must be RFC 3339 date-times`);
  if (end <= start) fail(`series ${i}: dateEnd must be after dateStart`);
  return end - start;
}

/**
 * The query string: arrays as repeated keys (`dateStart=a&dateStart=b`), as both Cloudflare SDKs send
 * them. A filter that only some series use is sent at every position, empty where a series has none,
 * so that each value keeps the position of its series. Encoded as the official TypeScript SDK encodes
 * it (`qs`, RFC 3986: a space is `%20`), not as URLSearchParams does (a space is `+`, which a server
 * reading RFC 3986 takes for a plus sign: a series named "us east" would come back as "us+east").
 */
export function queryString(request: RadarRequest): string {
  const params: [string, string][] = [];
  params.push(['aggInterval', request.aggInterval], ['format', 'JSON']);
  if (request.normalization) params.push(['normalization', request.normalization]);
  if (request.limitPerGroup !== undefined) params.push(['limitPerGroup', String(request.limitPerGroup)]);
  const appendPositional = (key: string, values: (string | undefined)[]): void => {
    if (values.every((v) => v === undefined)) return;
    for (const value of values) params.push([key, value ?? '']);
  };
  for (const key of ['name', 'dateRange', 'dateStart', 'dateEnd'] as const) {
    appendPositional(
      key,
      request.series.map((s) => s[key]),
    );
  }
  for (const filter of FILTER_NAMES) {
    appendPositional(
      filter,
      request.series.map((s) => {
        const items = s.filters?.[filter];
        if (!items) return undefined;
        return filter === 'product' ? productValue(items) : items.join(',');
      }),
    );
  }
  return params.map(([key, value]) => `${key}=${encodeURIComponent(value)}`).join('&');
}

export function requestPath(request: RadarRequest): string {
  return request.dimension === TRAFFIC_LEVEL
    ? '/radar/netflows/timeseries'
    : `/radar/netflows/timeseries_groups/${request.dimension}`;
}
