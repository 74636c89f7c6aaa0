/**
 * The words of the Radar NetFlows API that every layer speaks (see docs/radar-api.md); how each
 * filter item is checked lives with the Radar client (radar/vocabulary.ts).
 */
export const DIMENSIONS = ['ADM1', 'AS', 'LOCATION', 'PRODUCT'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/**
 * Not a dimension of Radar's but what a query may ask for in its place: the traffic level,
 * `GET /radar/netflows/timeseries` (one series of values per request series, no groups; see
 * docs/radar-api.md), kept in its own measurement. Queries for it are ids like `world/TRAFFIC_LEVEL/1h`.
 */
export const TRAFFIC_LEVEL = 'TRAFFIC_LEVEL';
/** What one query asks for: the shares of a dimension's groups, or the traffic level. */
export type QueryDimension = Dimension | typeof TRAFFIC_LEVEL;
export const QUERY_DIMENSIONS: readonly QueryDimension[] = [...DIMENSIONS, TRAFFIC_LEVEL];
/**
 * The traffic level's one normalization here: each answer divided by its largest value (MIN0_MAX).
 * Radar's other, PERCENTAGE_CHANGE, needs a control range (`dateRange=7d&dateRange=7dcontrol`), which
 * windows of dates cannot give.
 */
export const TRAFFIC_LEVEL_NORMALIZATION = 'MIN0_MAX';

/** Dimensions with few enough values that Radar refuses `limitPerGroup` for them. */
export const DIMENSIONS_WITHOUT_LIMIT: readonly QueryDimension[] = ['PRODUCT', TRAFFIC_LEVEL];

/** The smallest `limitPerGroup` Radar accepts. */
export const MIN_LIMIT_PER_GROUP = 2;

export const INTERVALS = ['15m', '1h', '1d', '1w'] as const;
export type AggInterval = (typeof INTERVALS)[number];

export const INTERVAL_MS: Record<AggInterval, number> = {
  '15m': 15 * 60_000,
  '1h': 3_600_000,
  '1d': 86_400_000,
  '1w': 604_800_000,
};

export const NORMALIZATIONS = ['PERCENTAGE', 'MIN0_MAX'] as const;
export type Normalization = (typeof NORMALIZATIONS)[number];

export const FILTER_NAMES = ['location', 'asn', 'continent', 'geoId', 'product'] as const;
export type FilterName = (typeof FILTER_NAMES)[number];
/** Filters of one series: each entry is one item (`US`, `-174`); they are sent comma-joined. */
export type Filters = Partial<Record<FilterName, string[]>>;
