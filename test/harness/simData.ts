/**
 * The Radar simulator's deterministic world: raw traffic per (filters, dimension, group key, bucket),
 * top-N with `other`, PERCENTAGE and MIN0_MAX normalization, and annotations, so that the same request
 * always gets the same answer and tests can compare InfluxDB with what was served.
 */
import { createHash } from 'node:crypto';

export const GROUP_KEYS: Record<string, string[]> = {
  LOCATION: [
    'US',
    'DE',
    'GB',
    'FR',
    'JP',
    'BR',
    'IN',
    'PT',
    'ES',
    'IT',
    'NL',
    'CA',
    'AU',
    'KR',
    'SE',
    'PL',
    'MX',
    'AR',
    'ZA',
    'SG',
  ],
  AS: [
    '13335',
    '15169',
    '16509',
    '8075',
    '32934',
    '7922',
    '3356',
    '174',
    '2914',
    '3320',
    '12322',
    '5432',
    '6830',
    '701',
    '7018',
    '20940',
    '46489',
    '36351',
    '24940',
    '16276',
  ],
  ADM1: [
    '5332921',
    '5128638',
    '4736286',
    '2267056',
    '2735941',
    '3117732',
    '2950159',
    '2643743',
    '1850147',
    '292968',
    '6167865',
    '2147714',
  ],
  PRODUCT: ['HTTP', 'OTHER'],
};

export const INTERVAL_MS: Record<string, number> = {
  '15m': 900_000,
  '1h': 3_600_000,
  '1d': 86_400_000,
  '1w': 604_800_000,
};
export const META_INTERVAL: Record<string, string> = {
  '15m': 'FIFTEEN_MINUTES',
  '1h': 'ONE_HOUR',
  '1d': 'ONE_DAY',
  '1w': 'ONE_WEEK',
};

/**
 * Traffic fixed by its inputs and shaped like the real thing: each group has its own size and daily
 * rhythm, plus noise. Groups whose key ends in 6 are tiny, so that exponent notation shows up.
 */
export function rawTraffic(seed: string, groupKey: string, bucketMs: number): number {
  const group = createHash('sha1').update(`${seed}|${groupKey}`).digest();
  const size = 1 + (group.readUInt16BE(0) % 1000);
  const phase = group.readUInt16BE(2) / 65536;
  const noise = createHash('sha1').update(`${seed}|${groupKey}|${bucketMs}`).digest().readUInt16BE(0) / 65536;
  const value =
    size * (1 + 0.35 * Math.sin(2 * Math.PI * (bucketMs / 86_400_000 + phase))) * (0.9 + 0.2 * noise);
  return groupKey.endsWith('6') ? value / 1e7 : value;
}

export interface SeriesAsk {
  key: string;
  seed: string;
  startMs: number;
  endMs: number;
  /** Whether the bucket that starts at `endMs` is part of the answer (Radar's documented `dateEnd`). */
  endInclusive: boolean;
}

export interface Built {
  key: string;
  timestamps: number[];
  groups: Map<string, number[]>;
}

/**
 * Buckets of [startMs, endMs) on the interval's epoch grid, up to the data horizon; with `endInclusive`,
 * of [startMs, endMs]: the bucket that starts at `endMs` too, as Cloudflare's own published answers
 * hold it (docs/radar-api.md: the docs' Tonga example, 02:00 → 05:00 at 1h gives 4 buckets).
 */
const WEEK_MS = 7 * 86_400_000;
const MONDAY_MS = 4 * 86_400_000;

/** Radar adjusts a weekly range to its Monday weeks: both ends back to the Monday that starts their week. */
export function mondayOnOrBefore(ms: number): number {
  return MONDAY_MS + Math.floor((ms - MONDAY_MS) / WEEK_MS) * WEEK_MS;
}

export function bucketsOf(
  startMs: number,
  endMs: number,
  intervalMs: number,
  horizonMs: number,
  endInclusive = false,
): number[] {
  const out: number[] = [];
  // Weeks start on Mondays (1970-01-05 was the first after the epoch), as Radar's do.
  const originMs = intervalMs === WEEK_MS ? MONDAY_MS : 0;
  for (
    let t = originMs + Math.ceil((startMs - originMs) / intervalMs) * intervalMs;
    (t < endMs || (endInclusive && t === endMs)) && t < horizonMs;
    t += intervalMs
  )
    out.push(t);
  return out;
}

/**
 * A change to a group's raw traffic before the top-N cut and normalization: an outage (a group's traffic
 * near zero for some hours), or a value Radar revised.
 */
export type TrafficAdjustment = (
  bucket: { dimension: string; groupKey: string; timeMs: number; intervalMs: number },
  value: number,
) => number;

/** One series' raw values, cut to the top `limit` groups over the range with the rest summed as `other`. */
export function buildSeries(
  ask: SeriesAsk,
  dimension: string,
  intervalMs: number,
  horizonMs: number,
  limit: number | undefined,
  adjust: TrafficAdjustment = (_, value) => value,
): Built {
  const timestamps = bucketsOf(ask.startMs, ask.endMs, intervalMs, horizonMs, ask.endInclusive);
  const all = GROUP_KEYS[dimension]!.map((key) => ({
    key,
    values: timestamps.map((t) =>
      adjust({ dimension, groupKey: key, timeMs: t, intervalMs }, rawTraffic(ask.seed, key, t)),
    ),
  }));
  all.sort((a, b) => sum(b.values) - sum(a.values) || a.key.localeCompare(b.key));
  const groups = new Map<string, number[]>();
  const kept = limit === undefined ? all : all.slice(0, limit);
  for (const g of kept) groups.set(g.key, g.values);
  if (limit !== undefined && all.length > limit) {
    groups.set(
      'other',
      timestamps.map((_, i) => sum(all.slice(limit).map((g) => g.values[i]!))),
    );
  }
  return { key: ask.key, timestamps, groups };
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** PERCENTAGE: shares of each timestamp summing to 100. MIN0_MAX: divided by the response's peak. */
export function normalize(series: Built[], normalization: string): void {
  if (normalization === 'MIN0_MAX') {
    const peak = Math.max(0, ...series.flatMap((s) => [...s.groups.values()].flat()));
    for (const s of series)
      for (const [k, v] of s.groups)
        s.groups.set(
          k,
          v.map((x) => (peak > 0 ? x / peak : 0)),
        );
    return;
  }
  for (const s of series) {
    const totals = s.timestamps.map((_, i) => sum([...s.groups.values()].map((v) => v[i]!)));
    for (const [k, v] of s.groups)
      s.groups.set(
        k,
        v.map((x, i) => (x / totals[i]!) * 100),
      );
  }
}

/** Numbers as Radar writes them: strings, 8 significant digits, exponent notation when tiny. */
export function formatValue(value: number): string {
  if (value !== 0 && Math.abs(value) < 1e-4) return value.toExponential(4).replace(/e-(\d)$/, 'e-0$1');
  return String(Number(value.toPrecision(8)));
}

export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** One annotation on every fifth day at 13:00 inside the range, two starting together on every tenth. */
export function annotationsFor(startMs: number, endMs: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let day = Math.floor(startMs / 86_400_000); day * 86_400_000 < endMs; day++) {
    const at = day * 86_400_000 + 13 * 3_600_000;
    if (day % 5 !== 0 || at < startMs || at >= endMs) continue;
    out.push({
      dataSource: 'ALL',
      eventType: 'OUTAGE',
      description: `Outage, day ${day}`,
      startDate: iso(at),
      endDate: iso(at + 7_200_000),
      isInstantaneous: false,
      linkedUrl: `https://example.test/outage/${day}`,
      tags: [],
    });
    if (day % 10 === 0)
      out.push({
        dataSource: 'NET',
        eventType: 'GENERAL',
        description: 'Cable cut, "subsea"',
        startDate: iso(at),
        isInstantaneous: true,
        linkedUrl: '',
      });
  }
  return out;
}
