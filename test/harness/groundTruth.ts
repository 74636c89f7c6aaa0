/**
 * What InfluxDB must hold, computed from what the simulator served (independently of src/flatten),
 * and the comparison with what it does hold: lost, duplicated and wrong points.
 */
import type { Influxd } from './influxd.js';
import { TRAFFIC_LEVEL, type Served } from './radarSimulator.js';

/** Identity of a radar_netflows point: its tags and time. */
export type PointKey = string;

export function pointKey(
  tags: {
    job: string;
    series: string;
    dimension: string;
    group_key: string;
    agg_interval: string;
    normalization: string;
  },
  timeMs: number,
): PointKey {
  return [
    tags.job,
    tags.series,
    tags.dimension,
    tags.group_key,
    tags.agg_interval,
    tags.normalization,
    timeMs,
  ].join('|');
}

/**
 * Each window's newest answer: a window (a series of a query, from one `dateStart`) holds exactly what
 * the last answer served for it names, whatever earlier answers of the same window named (Radar's top N
 * is of the range asked for, so an answer for a longer range may name other groups). `jobOf` tells which
 * job a request belongs to (tests know their config); a series is named by the request's `name[i]`, or
 * after the job when there is none. Only the buckets of the range each request asked for,
 * `[dateStart, dateEnd)`, count: under Radar's inclusive `dateEnd` an answer also holds the bucket that
 * starts at `dateEnd`, which belongs to the next window and must be written from that window's own
 * answer (normalized over its own range), never from this one.
 */
export function expectedFromServed(
  served: readonly Served[],
  jobOf: (s: Served) => string,
): Map<PointKey, number> {
  const expected = new Map<PointKey, number>();
  // The points each window's answer so far put in `expected`, so that the next answer replaces them all.
  const byWindow = new Map<string, PointKey[]>();
  for (const s of served) {
    if (!s.body || s.dimension === TRAFFIC_LEVEL) continue;
    const job = jobOf(s);
    const names = s.params.name ?? [];
    const seriesKeys = Object.keys(s.body.result).filter(
      (k) => k !== 'meta' && (names.length === 0 ? /^serie_\d+$/.test(k) : names.includes(k)),
    );
    for (const key of seriesKeys) {
      const series = s.body.result[key] as Record<string, string[]>;
      const stamps = series.timestamps!.map((t) => Date.parse(t));
      const position = names.length ? names.indexOf(key) : Number(key.slice('serie_'.length));
      const asked = askedRange(s, position);
      const window = [
        job,
        key,
        s.dimension,
        s.params.aggInterval![0],
        s.params.normalization?.[0],
        asked.startMs,
      ].join('|');
      for (const earlier of byWindow.get(window) ?? []) expected.delete(earlier);
      const points: PointKey[] = [];
      byWindow.set(window, points);
      for (const [group, values] of Object.entries(series)) {
        if (group === 'timestamps') continue;
        values.forEach((value, i) => {
          if (stamps[i]! < asked.startMs || stamps[i]! >= asked.endMs) return;
          const tags = {
            job,
            series: names.length ? key : job,
            dimension: s.dimension,
            group_key: group,
            agg_interval: s.params.aggInterval![0]!,
            normalization: s.params.normalization?.[0] ?? 'PERCENTAGE',
          };
          const point = pointKey(tags, stamps[i]!);
          expected.set(point, parseFloat(value));
          points.push(point);
        });
      }
    }
  }
  return expected;
}

/**
 * What `radar_traffic_level` must hold: each `netflows/timeseries` answer's `values`, by job, series,
 * interval and time, inside the range asked for; a later answer for a bucket replaces an earlier one.
 * Keys are `job|series|agg_interval|normalization|time`.
 */
export function expectedLevelFromServed(
  served: readonly Served[],
  jobOf: (s: Served) => string,
): Map<string, number> {
  const expected = new Map<string, number>();
  for (const s of served) {
    if (!s.body || s.dimension !== TRAFFIC_LEVEL) continue;
    const job = jobOf(s);
    const names = s.params.name ?? [];
    for (const [key, raw] of Object.entries(s.body.result)) {
      if (key === 'meta') continue;
      const series = raw as { timestamps: string[]; values: string[] };
      const position = names.length ? names.indexOf(key) : Number(key.slice('serie_'.length));
      const asked = askedRange(s, position);
      series.timestamps.forEach((stamp, i) => {
        const timeMs = Date.parse(stamp);
        if (timeMs < asked.startMs || timeMs >= asked.endMs) return;
        const tags = [job, names.length ? key : job, s.params.aggInterval![0], s.params.normalization?.[0]];
        expected.set([...tags, timeMs].join('|'), parseFloat(series.values[i]!));
      });
    }
  }
  return expected;
}

/** What `radar_traffic_level` holds, keyed as expectedLevelFromServed keys it. */
export async function actualLevel(influx: Influxd, db: string): Promise<Map<string, number>> {
  const rows = await influx.query('SELECT * FROM radar_traffic_level', db);
  return new Map(
    rows.map((r) => [
      [r.job, r.series, r.agg_interval, r.normalization, r.time].join('|'),
      r.value as number,
    ]),
  );
}

/** The range a request asked for at a series' position, floored to 15 minutes as Radar floors it. */
function askedRange(s: Served, position: number): { startMs: number; endMs: number } {
  const floor15 = (text: string | undefined): number =>
    Math.floor(Date.parse(text ?? '') / 900_000) * 900_000;
  return {
    startMs: floor15(s.params.dateStart?.[position]),
    endMs: floor15(s.params.dateEnd?.[position]),
  };
}

/**
 * Buckets whose PERCENTAGE shares do not add up to 100 (within the rounding of Radar's 8 significant
 * digits): a group the bucket's answer no longer names, left from an earlier answer, pushes them over.
 */
export async function sharesNotAddingUp(influx: Influxd, db: string): Promise<string[]> {
  const rows = await influx.query(`SELECT * FROM radar_netflows WHERE normalization = 'PERCENTAGE'`, db);
  const sums = new Map<string, number>();
  for (const row of rows) {
    const bucket = [row.job, row.series, row.dimension, row.agg_interval, row.time].join('|');
    sums.set(bucket, (sums.get(bucket) ?? 0) + (row.value as number));
  }
  return [...sums].filter(([, sum]) => Math.abs(sum - 100) > 0.001).map(([b, sum]) => `${b}: ${sum}`);
}

export async function actualTraffic(
  influx: Influxd,
  db: string,
): Promise<{ points: Map<PointKey, number>; rows: number }> {
  const rows = await influx.query('SELECT * FROM radar_netflows', db);
  const points = new Map<PointKey, number>();
  for (const row of rows) {
    points.set(pointKey(row as never, row.time as number), row.value as number);
  }
  return { points, rows: rows.length };
}

export interface Comparison {
  lost: string[];
  unexpected: string[];
  wrong: string[];
  duplicates: number;
}

export function compare(
  expected: Map<PointKey, number>,
  actual: { points: Map<PointKey, number>; rows: number },
): Comparison {
  const lost = [...expected.keys()].filter((k) => !actual.points.has(k));
  const unexpected = [...actual.points.keys()].filter((k) => !expected.has(k));
  const wrong = [...expected]
    .filter(([k, v]) => actual.points.has(k) && actual.points.get(k) !== v)
    .map(([k, v]) => `${k}: expected ${v}, got ${actual.points.get(k)}`);
  return {
    lost: lost.slice(0, 5),
    unexpected: unexpected.slice(0, 5),
    wrong: wrong.slice(0, 5),
    duplicates: actual.rows - actual.points.size,
  };
}
