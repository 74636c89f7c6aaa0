import { DAY_MS, HOUR_MS, MINUTE_MS, WEEK_MS } from '../util/time.js';

/** The words of the Radar NetFlows API, in one place (see shared/radar-api.md). */
export const DIMENSIONS = ['ADM1', 'AS', 'LOCATION', 'PRODUCT'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** Dimensions with few enough values that Radar refuses `limitPerGroup` for them. */
export const DIMENSIONS_WITHOUT_LIMIT: readonly Dimension[] = ['PRODUCT'];

export const INTERVALS = ['15m', '1h', '1d', '1w'] as const;
export type AggInterval = (typeof INTERVALS)[number];

export const INTERVAL_MS: Record<AggInterval, number> = {
  '15m': 15 * MINUTE_MS,
  '1h': HOUR_MS,
  '1d': DAY_MS,
  '1w': WEEK_MS,
};

export const NORMALIZATIONS = ['PERCENTAGE', 'MIN0_MAX'] as const;
export type Normalization = (typeof NORMALIZATIONS)[number];

export const PRODUCTS = ['HTTP', 'ALL'] as const;
export const CONTINENTS = ['AF', 'AN', 'AS', 'EU', 'NA', 'OC', 'SA'] as const;

export const FILTER_NAMES = ['location', 'asn', 'continent', 'geoId', 'product'] as const;
export type FilterName = (typeof FILTER_NAMES)[number];
/** Filters of one series: each entry is one item (`US`, `-174`); they are sent comma-joined. */
export type Filters = Partial<Record<FilterName, string[]>>;

/**
 * ISO 3166-1 alpha-2 codes, plus XK (Kosovo), which Radar uses. Radar answers 400 "Invalid location
 * codes" for anything else, so we refuse it before sending.
 */
export const LOCATION_CODES: ReadonlySet<string> = new Set(
  (
    'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW ' +
    'BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI ' +
    'FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN ' +
    'IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME ' +
    'MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF ' +
    'PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV ' +
    'SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE ' +
    'YT ZA ZM ZW XK'
  ).split(' '),
);

/** One filter item: an optional leading `-` (exclude) and a value checked per filter. */
export function checkFilterItem(filter: FilterName, item: string): string | undefined {
  const value = item.startsWith('-') ? item.slice(1) : item;
  switch (filter) {
    case 'location':
      return LOCATION_CODES.has(value) ? undefined : 'an ISO 3166 alpha-2 location code such as US or PT';
    case 'continent':
      return (CONTINENTS as readonly string[]).includes(value)
        ? undefined
        : `a continent code: ${CONTINENTS.join(', ')}`;
    case 'asn':
      return /^[1-9]\d{0,9}$/.test(value) && Number(value) <= 4_294_967_295
        ? undefined
        : 'an AS number such as 13335 (1 to 4294967295)';
    case 'geoId':
      return /^[1-9]\d{0,9}$/.test(value) ? undefined : 'a GeoNames id such as 2267056';
    case 'product':
      return !item.startsWith('-') && (PRODUCTS as readonly string[]).includes(value)
        ? undefined
        : `a product: ${PRODUCTS.join(', ')}`;
  }
}
