/**
 * The names the Radar simulator's entity endpoints answer for its group keys (simData.ts GROUP_KEYS):
 * deterministic, and on purpose hard to store: commas, quotes, a backslash, non-Latin scripts, and
 * one AS renamed between two generations (`renamed`), as Radar renames one now and then.
 */

export interface SimAs {
  asn: number;
  name: string;
  aka: string;
  orgName: string;
  country: string;
  countryName: string;
  website: string;
  estimatedUsers: { locations: never[]; estimatedUsers?: number };
}

const COUNTRY_NAMES: Record<string, string> = {
  US: 'United States',
  DE: 'Germany',
  GB: 'United Kingdom',
  FR: 'France',
  JP: 'Japan',
  BR: 'Brazil',
  IN: 'India',
  PT: 'Portugal',
  ES: 'Spain',
  IT: 'Italy',
  NL: 'Netherlands',
  CA: 'Canada',
  AU: 'Australia',
  KR: 'Korea, Republic of',
  SE: 'Sweden',
  PL: 'Poland',
  MX: 'Mexico',
  AR: 'Argentina',
  ZA: 'South Africa',
  SG: 'Singapore',
  CN: 'China',
  RU: 'Russian Federation',
  UA: 'Ukraine',
  AE: 'United Arab Emirates',
};

const COORDINATES: Record<string, [number, number]> = {
  US: [39.76, -98.5],
  DE: [51.17, 10.45],
  GB: [55.38, -3.44],
  FR: [46.23, 2.21],
  JP: [36.2, 138.25],
  BR: [-14.24, -51.93],
  IN: [20.59, 78.96],
  PT: [39.4, -8.22],
  ES: [40.46, -3.75],
  IT: [41.87, 12.57],
  NL: [52.13, 5.29],
  CA: [56.13, -106.35],
  AU: [-25.27, 133.78],
  KR: [35.91, 127.77],
  SE: [60.13, 18.64],
  PL: [51.92, 19.15],
  MX: [23.63, -102.55],
  AR: [-38.42, -63.62],
  ZA: [-30.56, 22.94],
  SG: [1.35, 103.82],
  CN: [35.86, 104.2],
  RU: [61.52, 105.32],
  UA: [48.38, 31.17],
  AE: [23.42, 53.85],
};

/** [name, country] per AS; generation 1 renames 16509. */
const AS_NAMES: Record<string, [string, string]> = {
  '13335': ['Cloudflare', 'US'],
  '15169': ['Google', 'US'],
  '16509': ['Amazon.com, Inc.', 'US'],
  '8075': ['Microsoft', 'US'],
  '32934': ['Facebook', 'US'],
  '7922': ['Comcast "Xfinity"', 'US'],
  '3356': ['Level 3 Parent, LLC', 'US'],
  '174': ['Cogent Communications', 'US'],
  '2914': ['NTTコミュニケーションズ', 'JP'],
  '3320': ['Deutsche Telekom AG', 'DE'],
  '12322': ['Free SAS', 'FR'],
  '5432': ['Proximus\\NV', 'BE'],
  '6830': ['Liberty Global B.V.', 'NL'],
  '701': ['Verizon Business', 'US'],
  '7018': ['AT&T Services, Inc.', 'US'],
  '20940': ['Akamai International B.V.', 'NL'],
  '46489': ['Twitch Interactive', 'US'],
  '36351': ['SoftLayer Technologies', 'US'],
  '24940': ['Hetzner Online GmbH', 'DE'],
  // 16276 (its traffic is tiny) has no entity: Radar knows not every AS it counts.
};

const RENAMED: Record<string, string> = { '16509': 'Amazon Web Services (AWS)' };

/** [name, country, latitude, longitude] per ADM1 GeoNames id. */
const ADM1_NAMES: Record<string, [string, string, number, number]> = {
  '5332921': ['California', 'US', 37.25, -119.75],
  '5128638': ['New York', 'US', 43, -75.5],
  '4736286': ['Texas', 'US', 31.25, -99.25],
  '2267056': ['Lisboa', 'PT', 38.95, -9.17],
  '2735941': ['Porto', 'PT', 41.3, -8.3],
  '3117732': ['Comunidad de Madrid', 'ES', 40.5, -3.67],
  '2950159': ['Land Berlin', 'DE', 52.5, 13.42],
  '2643743': ['England', 'GB', 52.16, -1.5],
  '1850147': ['東京都', 'JP', 35.69, 139.69],
  '292968': ['إمارة أبوظبي', 'AE', 23.47, 54.2],
  '6167865': ['Ontario', 'CA', 49.25, -84.5],
  '2147714': ['New South Wales', 'AU', -33, 146],
};

export function simAs(asn: string, generation: number): SimAs | undefined {
  const known = AS_NAMES[asn];
  if (!known) return undefined;
  const name = (generation > 0 && RENAMED[asn]) || known[0];
  return {
    asn: Number(asn),
    name,
    aka: '',
    orgName: name,
    country: known[1],
    countryName: COUNTRY_NAMES[known[1]] ?? known[1],
    website: '',
    estimatedUsers: { locations: [] },
  };
}

export function simAsns(): string[] {
  return Object.keys(AS_NAMES);
}

export function simLocations(): Record<string, string>[] {
  return Object.entries(COUNTRY_NAMES).map(([alpha2, name]) => ({
    alpha2,
    name,
    region: 'Somewhere',
    subregion: 'Somewhere',
    continent: 'XX',
    latitude: String(COORDINATES[alpha2]?.[0] ?? 0),
    longitude: String(COORDINATES[alpha2]?.[1] ?? 0),
  }));
}

export function simGeolocation(geoId: string): Record<string, unknown> | undefined {
  const known = ADM1_NAMES[geoId];
  if (!known) return undefined;
  const [name, country, latitude, longitude] = known;
  return {
    geoId,
    name,
    code: `${country}-${geoId.slice(-2)}`,
    type: 'ADM1',
    latitude: String(latitude),
    longitude: String(longitude),
    parent: {
      geoId: String(1000 + Object.keys(COUNTRY_NAMES).indexOf(country)),
      name: COUNTRY_NAMES[country],
      code: country,
      type: 'COUNTRY',
      latitude: String(COORDINATES[country]?.[0] ?? 0),
      longitude: String(COORDINATES[country]?.[1] ?? 0),
      parent: {
        geoId: '6255148',
        name: 'Earth',
        code: 'XX',
        type: 'CONTINENT',
        latitude: '0',
        longitude: '0',
      },
    },
  };
}

export function simGeoIds(): string[] {
  return Object.keys(ADM1_NAMES);
}

/** What the dashboards should show for a group key (the tests' expectation). */
export function expectedLabel(dimension: string, key: string, generation = 0): string | undefined {
  if (dimension === 'AS') {
    const as = simAs(key, generation);
    return as && `${as.name} (AS${key})`;
  }
  if (dimension === 'ADM1') {
    const adm1 = ADM1_NAMES[key];
    return adm1 && `${adm1[0]}, ${adm1[1]}`;
  }
  if (dimension === 'LOCATION') return COUNTRY_NAMES[key];
  return undefined;
}
