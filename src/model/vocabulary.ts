/**
 * The words of the Radar NetFlows API that every layer speaks (see docs/radar-api.md); how each
 * filter item is checked lives with the Radar client (radar/vocabulary.ts).
 */
export const DIMENSIONS = ['ADM1', 'AS', 'LOCATION', 'PRODUCT'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** Dimensions with few enough values that Radar refuses `limitPerGroup` for them. */
export const DIMENSIONS_WITHOUT_LIMIT: readonly Dimension[] = ['PRODUCT'];

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
