import type { AggInterval, FilterName } from '../model/vocabulary.js';
import { DAY_MS } from '../util/time.js';

/** The longest `dateRange` Radar accepts (`<n>d` or `<n>w`): a year. */
export const MAX_DATE_RANGE = { d: 364, w: 52 } as const;

/**
 * The longest window of each interval Radar is known to answer (docs/radar-api.md): 15m data in 7-day
 * windows (Radar's own `dateRange=7d`); 1h data in ~31-day windows (a year at 1h failed), so 28 days,
 * a whole number of weeks; 1d data up to about 12 weeks (third parties saw a 400 beyond, and Radar's
 * own UI switches to weekly data past three months), so 84 days; 1w data in a year (52w, the longest
 * `dateRange`). A longer window refused with a bare 400 "Internal Error" is taken as refused for its
 * size, and split.
 */
export const KNOWN_GOOD_WINDOW_MS: Record<AggInterval, number> = {
  '15m': 7 * DAY_MS,
  '1h': 28 * DAY_MS,
  '1d': 84 * DAY_MS,
  '1w': 364 * DAY_MS,
};

export const PRODUCTS = ['HTTP', 'ALL'] as const;
export const CONTINENTS = ['AF', 'AN', 'AS', 'EU', 'NA', 'OC', 'SA'] as const;

/**
 * The location codes Radar lists (`/radar/entities/locations`): ISO 3166-1 alpha-2 codes, XK (Kosovo),
 * and Radar's own region codes AP (Asia/Pacific), EU (Europe) and AN (Netherlands Antilles), which it
 * answered as locations in real answers of April 2026 (docs/radar-api.md). Radar answers 400 "Invalid
 * location codes" for anything else, so we refuse it before sending.
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
    'YT ZA ZM ZW XK AP EU AN'
  ).split(' '),
);

/** One filter item: an optional leading `-` (exclude) and a value checked per filter. */
export function checkFilterItem(filter: FilterName, item: string): string | undefined {
  const value = item.startsWith('-') ? item.slice(1) : item;
  switch (filter) {
    case 'location':
      return LOCATION_CODES.has(value)
        ? undefined
        : 'a location code Radar lists: ISO 3166 alpha-2 such as US or PT, or a region such as EU or AP';
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

/**
 * A series' product filter as one value: the SDKs type each element of `product` as one of HTTP and
 * ALL, and a series is one element, so a list is sent as what it selects. ALL holds HTTP, so any list
 * with ALL is ALL; a list of HTTP alone is HTTP.
 */
export function productValue(items: readonly string[]): string {
  return items.includes('ALL') ? 'ALL' : [...new Set(items)].join(',');
}
