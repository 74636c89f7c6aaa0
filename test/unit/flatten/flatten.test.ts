import { describe, expect, test } from '@jest/globals';
import { makeQuery } from '../../fixtures/query.js';
import { annotationId, flattenAnnotations, flattenTraffic } from '../../../src/flatten/flatten.js';
import { fetchPoint } from '../../../src/pipeline/fetchRecord.js';
import { groupPoints } from '../../../src/model/point.js';
import { IntField } from '../../../src/model/point.js';
import type { RadarResponse } from '../../../src/radar/response.js';

const H = 3_600_000;
const query = makeQuery({
  id: 'cmp/AS/1h',
  job: 'cmp',
  normalization: 'MIN0_MAX',
  limitPerGroup: 2,
  series: [
    { name: 'us', filters: {} },
    { name: 'pt', filters: {} },
  ],
  namedSeries: true,
  windowMs: 4 * H,
});
const meta = {
  aggInterval: 'ONE_HOUR',
  normalization: 'MIN0_MAX',
  lastUpdatedMs: undefined,
  confidenceLevel: 5,
  annotations: [],
};

describe('flattenTraffic', () => {
  test('every series × group × timestamp inside the window, named by the query, nulls skipped', () => {
    const response: RadarResponse = {
      meta,
      series: [
        {
          key: 'us',
          timestampsMs: [0, H, 4 * H],
          groups: new Map([
            ['13335', Float64Array.from([1, 0.5, 9])],
            ['other', Float64Array.from([0.25, NaN, 9])],
          ]),
        },
        { key: 'serie_1', timestampsMs: [0], groups: new Map([['3243', Float64Array.from([0.1])]]) },
      ],
    };
    const result = flattenTraffic(query, { startMs: 0, endMs: 4 * H }, response);
    const points = result.groups.flatMap(groupPoints);
    expect(points.map((p) => [p.tags.series, p.tags.group_key, p.timeMs, p.fields.value])).toEqual([
      ['us', '13335', 0, 1],
      ['us', '13335', H, 0.5],
      ['us', 'other', 0, 0.25],
      ['pt', '3243', 0, 0.1],
    ]);
    expect(result.pointCount).toBe(4);
    expect(result.groups[0]!.timeTexts).toEqual(['0', String(H)]);
    expect(points[0]!.tags).toEqual({
      job: 'cmp',
      series: 'us',
      dimension: 'AS',
      group_key: '13335',
      agg_interval: '1h',
      normalization: 'MIN0_MAX',
    });
    expect(result.outsideRange).toBe(2);
    expect(result.nulls).toBe(1);
  });
});

describe('flattenAnnotations', () => {
  const outage = {
    dataSource: 'ALL',
    eventType: 'OUTAGE',
    description: 'd',
    linkedUrl: 'u',
    startMs: 5000,
    endMs: 9000,
    instantaneous: false,
  };

  test('one point per annotation at its start, with a stable id that tells same-time events apart', () => {
    const other = { ...outage, description: 'another' };
    const [a, b] = flattenAnnotations([outage, other]);
    expect(a).toEqual({
      measurement: 'radar_annotations',
      timeMs: 5000,
      tags: { data_source: 'ALL', event_type: 'OUTAGE', annotation_id: annotationId(outage) },
      fields: { description: 'd', linked_url: 'u', instantaneous: false, end_ms: new IntField(9000) },
    });
    expect(a!.tags.annotation_id).toMatch(/^[0-9a-f]{12}$/);
    expect(b!.tags.annotation_id).not.toBe(a!.tags.annotation_id);
    expect(annotationId({ ...outage })).toBe(annotationId(outage));
  });
});

describe('fetchPoint', () => {
  test('records the request with the data model tags and integer fields', () => {
    const p = fetchPoint({
      query,
      window: { startMs: 0, endMs: 4 * H },
      outcome: 'ok',
      attempts: 2,
      durationMs: 30,
      points: 4,
      confidenceLevel: 5,
      lastUpdatedMs: 77,
      timeMs: 123,
    });
    expect(p.tags).toEqual({ job: 'cmp', dimension: 'AS', agg_interval: '1h', outcome: 'ok' });
    expect(p.fields).toMatchObject({
      attempts: new IntField(2),
      points: new IntField(4),
      window_end_ms: new IntField(4 * H),
      last_updated_ms: new IntField(77),
    });
  });
});
