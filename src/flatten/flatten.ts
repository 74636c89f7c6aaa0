import { createHash } from 'node:crypto';
import type { Query } from '../model/query.js';
import type { RadarAnnotation, RadarResponse } from '../radar/response.js';
import type { Window } from '../model/window.js';
import { IntField, type Point, type TrafficGroup } from '../model/point.js';
import { INTERVAL_MS, TRAFFIC_LEVEL } from '../model/vocabulary.js';

/** Measurement names of the data model (docs/design.md); dashboards and users rely on them. */
export const MEASUREMENT = {
  traffic: 'radar_netflows',
  level: 'radar_traffic_level',
  annotations: 'radar_annotations',
  fetches: 'radar_fetches',
} as const;

/** The tag that tells the groups of a series apart. */
export const GROUP_TAG = 'group_key';

/**
 * The tags of a `radar_netflows` point of one of the query's series: with `groupKey`, a group's whole
 * tag set (in the order lines are written); without, what every group of the series shares.
 */
export function seriesTags(query: Query, seriesName: string, groupKey?: string): Record<string, string> {
  return {
    job: query.job,
    series: seriesName,
    dimension: query.dimension,
    ...(groupKey !== undefined ? { [GROUP_TAG]: groupKey } : {}),
    agg_interval: query.interval,
    normalization: query.normalization,
  };
}

/**
 * The tags of a `radar_traffic_level` point: the query's series, with neither dimension nor group
 * (the level is one value per bucket and series).
 */
export function levelTags(query: Query, seriesName: string): Record<string, string> {
  return {
    job: query.job,
    series: seriesName,
    agg_interval: query.interval,
    normalization: query.normalization,
  };
}

export interface FlattenResult {
  groups: TrafficGroup[];
  /** Points in all groups. */
  pointCount: number;
  /**
   * Buckets Radar returned outside the range asked for: left to the window that owns them (the bucket
   * that starts at `dateEnd`, which Radar's inclusive end adds; a weekly bucket that starts before it).
   */
  outsideRange: number;
  /** null values: no data for that bucket, nothing written. */
  nulls: number;
}

/**
 * Every series × group key × timestamp of a response inside `range` (the range the request asked for,
 * [startMs, endMs)) whose bucket ends by `windowEndMs` (the grid window's end) becomes one
 * `radar_netflows` point; for the traffic level, each series' one column of values one
 * `radar_traffic_level` point (answerCheck.ts made sure there is at most one). The series' name comes
 * from the query (by position), not from the response key, so it is the same whether Radar keyed the
 * series by name or as `serie_<i>`.
 */
export function flattenTraffic(
  query: Query,
  range: Window,
  response: RadarResponse,
  windowEndMs = range.endMs,
): FlattenResult {
  const intervalMs = INTERVAL_MS[query.interval];
  const groups: TrafficGroup[] = [];
  let pointCount = 0;
  let outsideRange = 0;
  let nulls = 0;
  response.series.forEach((series, index) => {
    const seriesName = query.series[index]?.name ?? series.key;
    const { timestampsMs } = series;
    const timeTexts = timestampsMs.map(String);
    const level = query.dimension === TRAFFIC_LEVEL;
    for (const [groupKey, column] of series.groups) {
      const tags = level ? levelTags(query, seriesName) : seriesTags(query, seriesName, groupKey);
      const group: TrafficGroup = {
        measurement: level ? MEASUREMENT.level : MEASUREMENT.traffic,
        field: 'value',
        tags,
        timesMs: [],
        timeTexts: [],
        values: [],
      };
      for (let i = 0; i < timestampsMs.length; i++) {
        const timeMs = timestampsMs[i]!;
        const value = column[i]!;
        // Only a bucket whose whole period lies in the window: a week that reaches past the window's end
        // belongs to the next window (Radar adjusts ranges to its Monday weeks).
        if (timeMs < range.startMs || timeMs >= range.endMs || timeMs + intervalMs > windowEndMs)
          outsideRange++;
        else if (Number.isNaN(value)) nulls++;
        else {
          group.timesMs.push(timeMs);
          group.timeTexts.push(timeTexts[i]!);
          group.values.push(value);
        }
      }
      pointCount += group.timesMs.length;
      groups.push(group);
    }
  });
  return { groups, pointCount, outsideRange, nulls };
}

/** Radar's annotations, one point each, keyed by a short hash so that events starting together all survive. */
export function flattenAnnotations(annotations: readonly RadarAnnotation[]): Point[] {
  return annotations.map((a) => ({
    measurement: MEASUREMENT.annotations,
    tags: { data_source: a.dataSource, event_type: a.eventType, annotation_id: annotationId(a) },
    fields: {
      description: a.description,
      linked_url: a.linkedUrl,
      instantaneous: a.instantaneous,
      ...(a.endMs !== undefined ? { end_ms: new IntField(a.endMs) } : {}),
    },
    timeMs: a.startMs,
  }));
}

export function annotationId(a: RadarAnnotation): string {
  const identity = JSON.stringify([
    a.dataSource,
    a.eventType,
    a.startMs,
    a.endMs ?? null,
    a.description,
    a.linkedUrl,
  ]);
  return createHash('sha256').update(identity).digest('hex').slice(0, 12);
}
