import { describe, expect, test } from '@jest/globals';
import {
  requestPath,
  RadarRequestError,
  queryString,
  validateRadarRequest,
  type RadarRequest,
} from '../../../src/radar/request.js';

const base: RadarRequest = {
  dimension: 'AS',
  aggInterval: '1h',
  series: [{ dateStart: '2026-01-01T00:00:00Z', dateEnd: '2026-01-08T00:00:00Z' }],
};

describe('queryString', () => {
  test('always sends aggInterval and JSON, arrays as repeated keys by series position', () => {
    const params = queryString({
      ...base,
      normalization: 'MIN0_MAX',
      limitPerGroup: 5,
      series: [
        { name: 'us', dateStart: 'a', dateEnd: 'b', filters: { location: ['US'], asn: ['-174', '3356'] } },
        { name: 'pt', dateStart: 'c', dateEnd: 'd', filters: { location: ['PT'] } },
      ],
    });
    expect(params).toBe(
      'aggInterval=1h&format=JSON&normalization=MIN0_MAX&limitPerGroup=5&name=us&name=pt&dateStart=a&dateStart=c&dateEnd=b&dateEnd=d&location=US&location=PT&asn=-174%2C3356&asn=',
    );
  });

  test('product: one value a series, as the SDK types it; a list holding ALL is ALL', () => {
    const params = queryString({
      ...base,
      dimension: 'LOCATION',
      series: [
        { name: 'both', dateRange: '7d', filters: { product: ['HTTP', 'ALL'] } },
        { name: 'web', dateRange: '7d', filters: { product: ['HTTP', 'HTTP'] } },
      ],
    });
    expect(new URLSearchParams(params).getAll('product')).toEqual(['ALL', 'HTTP']);
  });

  test('leaves out what no series uses', () => {
    expect(queryString({ ...base, series: [{ dateRange: '7d' }] })).toBe(
      'aggInterval=1h&format=JSON&dateRange=7d',
    );
  });

  test('encodes as the official SDK does: a space is %20, not + (which reads back as a plus sign)', () => {
    const query = queryString({
      ...base,
      series: [{ name: 'us east+west', dateStart: '2026-01-01T00:00:00Z', dateEnd: '2026-01-08T00:00:00Z' }],
    });
    expect(query).toContain('name=us%20east%2Bwest');
    expect(query).toContain('dateStart=2026-01-01T00%3A00%3A00Z');
    expect(new URL(`http://x/?${query}`).searchParams.get('name')).toBe('us east+west');
  });
});

describe('validateRadarRequest', () => {
  const invalid: [string, RadarRequest, RegExp][] = [
    [
      'limitPerGroup with PRODUCT',
      { ...base, dimension: 'PRODUCT', limitPerGroup: 3 },
      /not accepted for PRODUCT/,
    ],
    ['limitPerGroup of 1', { ...base, limitPerGroup: 1 }, /at least 2/],
    [
      'dateStart without dateEnd',
      { ...base, series: [{ dateStart: '2026-01-01T00:00:00Z' }] },
      /go together/,
    ],
    [
      'dateRange and dates',
      { ...base, series: [{ dateRange: '7d', dateStart: 'x', dateEnd: 'y' }] },
      /not both/,
    ],
    ['bad dateRange', { ...base, series: [{ dateRange: '400d' }] }, /longer than a year/],
    [
      'end before start',
      { ...base, series: [{ dateStart: '2026-01-02T00:00:00Z', dateEnd: '2026-01-01T00:00:00Z' }] },
      /after dateStart/,
    ],
    ['unequal durations', { ...base, series: [{ dateRange: '7d' }, { dateRange: '14d' }] }, /same duration/],
    [
      'some names',
      { ...base, series: [{ name: 'a', dateRange: '7d' }, { dateRange: '7dcontrol' }] },
      /every series has a name or none/,
    ],
    [
      'bad location',
      { ...base, series: [{ dateRange: '7d', filters: { location: ['UK'] } }] },
      /location "UK" is not/,
    ],
    ['no series', { ...base, series: [] }, /at least one series/],
  ];
  test.each(invalid)('refuses %s', (_name, request, message) => {
    expect(() => validateRadarRequest(request)).toThrow(RadarRequestError);
    expect(() => validateRadarRequest(request)).toThrow(message);
  });

  test("accepts Radar's own region codes as locations (entities/locations lists them)", () => {
    for (const location of [['AP'], ['EU'], ['AN'], ['-EU', 'US']])
      expect(() =>
        validateRadarRequest({ ...base, series: [{ dateRange: '7d', filters: { location } }] }),
      ).not.toThrow();
  });

  test('accepts a comparison with the control period', () => {
    expect(() =>
      validateRadarRequest({
        ...base,
        series: [
          { name: 'now', dateRange: '7d' },
          { name: 'before', dateRange: '7dControl' },
        ],
      }),
    ).not.toThrow();
  });
});

describe('the traffic level request', () => {
  const level: RadarRequest = {
    dimension: 'TRAFFIC_LEVEL',
    aggInterval: '1h',
    normalization: 'MIN0_MAX',
    series: [
      { dateStart: '2026-08-14T00:00:00Z', dateEnd: '2026-08-15T00:00:00Z', filters: { location: ['PT'] } },
    ],
  };

  test('goes to netflows/timeseries with the same parameters, MIN0_MAX only, never limitPerGroup', () => {
    expect(requestPath(level)).toBe('/radar/netflows/timeseries');
    expect(requestPath({ ...level, dimension: 'AS' })).toBe('/radar/netflows/timeseries_groups/AS');
    expect(() => validateRadarRequest(level)).not.toThrow();
    expect(queryString(level)).toBe(
      'aggInterval=1h&format=JSON&normalization=MIN0_MAX&dateStart=2026-08-14T00%3A00%3A00Z&dateEnd=2026-08-15T00%3A00%3A00Z&location=PT',
    );
    expect(() => validateRadarRequest({ ...level, normalization: 'PERCENTAGE' })).toThrow(
      /the traffic level is asked for with normalization MIN0_MAX only/,
    );
    expect(() => validateRadarRequest({ ...level, limitPerGroup: 5 })).toThrow(
      /limitPerGroup is not accepted for TRAFFIC_LEVEL/,
    );
  });
});
