import { describe, expect, test } from '@jest/globals';
import { checkAnswer } from '../../../src/radar/answerCheck.js';
import { expectedBuckets } from '../../../src/pipeline/finality.js';
import type { RadarRequest } from '../../../src/radar/request.js';
import { parseRadarResult } from '../../../src/radar/response.js';

const H = 3_600_000;
const request = (aggInterval: RadarRequest['aggInterval'], start: string, end: string): RadarRequest => ({
  dimension: 'PRODUCT',
  aggInterval,
  series: [{ dateStart: start, dateEnd: end }],
});

/** A literal answer of one series with one group "HTTP". */
function answer(timestamps: string[], lastUpdated = '2026-08-15T00:00:00Z') {
  return parseRadarResult(
    {
      meta: { lastUpdated },
      serie_0: { timestamps, HTTP: timestamps.map(() => '1.5') },
    },
    [['serie_0']],
  );
}

const hourly = request('1h', '2026-08-14T00:00:00Z', '2026-08-14T04:00:00Z');
const check =
  (timestamps: string[], req = hourly, lastUpdated?: string) =>
  () =>
    checkAnswer(answer(timestamps, lastUpdated), req);

describe('checkAnswer', () => {
  test("meta.dateRange: the range asked for, or that range on Radar's own buckets (Monday weeks); anything that would move buckets out of the window is refused", () => {
    // Asked Tuesday 2026-03-10 to Thursday 2026-04-09 for weekly data: Radar answers Monday to Monday.
    const weekly = request('1w', '2026-03-10T00:00:00Z', '2026-04-09T00:00:00Z');
    const withRange = (startTime: string, endTime: string) => () =>
      checkAnswer(
        parseRadarResult(
          {
            meta: { lastUpdated: '2026-04-09T00:00:00Z', dateRange: [{ startTime, endTime }] },
            serie_0: { timestamps: ['2026-03-16T00:00:00Z'], HTTP: ['1'] },
          },
          [['serie_0']],
        ),
        weekly,
      );
    expect(withRange('2026-03-09T00:00:00Z', '2026-04-06T00:00:00Z')).not.toThrow(); // adjusted to Mondays
    expect(withRange('2026-03-10T00:00:00Z', '2026-04-09T00:00:00Z')).not.toThrow(); // as asked
    // Later than asked, or cut by a whole week: buckets of the window would be missing or moved.
    expect(withRange('2026-03-16T00:00:00Z', '2026-04-06T00:00:00Z')).toThrow(
      /meta\.dateRange 2026-03-16T00:00:00Z to 2026-04-06T00:00:00Z is not the range asked for/,
    );
    expect(withRange('2026-03-09T00:00:00Z', '2026-03-30T00:00:00Z')).toThrow(
      /would not belong to this window/,
    );
  });

  test('accepts buckets on the grid, in order, inside the range', () => {
    expect(check(['2026-08-14T00:00:00Z', '2026-08-14T01:00:00Z', '2026-08-14T03:00:00Z'])).not.toThrow();
    expect(check([])).not.toThrow();
  });

  test('timestamps must be strictly increasing', () => {
    expect(check(['2026-08-14T01:00:00Z', '2026-08-14T01:00:00Z'])).toThrow(
      /timestamps\[1\] 2026-08-14T01:00:00Z does not come after 2026-08-14T01:00:00Z/,
    );
    expect(check(['2026-08-14T02:00:00Z', '2026-08-14T01:00:00Z'])).toThrow(/does not come after/);
  });

  test("timestamps must lie on the interval's grid", () => {
    expect(check(['2026-08-14T01:07:00Z'])).toThrow(/is not on the 1h grid/);
  });

  test('timestamps must lie inside the range asked for', () => {
    expect(check(['2026-08-13T23:00:00Z'])).toThrow(/lies before the range asked for/);
    expect(check(['2026-08-14T05:00:00Z'])).toThrow(/lies past the range asked for/);
    expect(check(['2025-08-14T01:00:00Z'])).toThrow(/before the range/);
  });

  test("the bucket that starts at dateEnd is accepted (Radar's inclusive end), even past lastUpdated", () => {
    // The docs' Tonga example: 02:00 → 05:00 at 1h answers 02:00, 03:00, 04:00 and 05:00.
    const tonga = request('1h', '2022-10-15T02:00:00Z', '2022-10-15T05:00:00Z');
    const stamps = ['02', '03', '04', '05'].map((h) => `2022-10-15T${h}:00:00Z`);
    expect(check(stamps, tonga, '2022-10-15T06:00:00Z')).not.toThrow();
    expect(check(stamps.slice(0, 3), tonga, '2022-10-15T06:00:00Z')).not.toThrow();
    expect(check(stamps, tonga, '2022-10-15T04:30:00Z')).not.toThrow();
    expect(check([...stamps.slice(0, 3), '2022-10-15T06:00:00Z'], tonga)).toThrow(/lies past the range/);
  });

  test('timestamps must not lie past meta.lastUpdated', () => {
    expect(check(['2026-08-14T02:00:00Z'], hourly, '2026-08-14T01:30:00Z')).toThrow(
      /lies past meta.lastUpdated 2026-08-14T01:30:00Z/,
    );
  });

  test('weekly buckets: midnight, whole weeks apart; one starting before the range is tolerated', () => {
    const weekly = request('1w', '2026-01-01T00:00:00Z', '2026-03-01T00:00:00Z');
    expect(check(['2025-12-29T00:00:00Z', '2026-01-05T00:00:00Z'], weekly)).not.toThrow();
    expect(check(['2025-12-20T00:00:00Z'], weekly)).toThrow(/before the range/);
    expect(check(['2026-01-05T00:00:00Z', '2026-01-13T00:00:00Z'], weekly)).toThrow(/not on the 1w grid/);
    expect(check(['2026-01-05T06:00:00Z'], weekly)).toThrow(/not on the 1w grid/);
  });

  test('parsing: a timestamp needs a zone, and every group one value per timestamp', () => {
    expect(() => answer(['2026-08-14T01:00:00'])).toThrow(/is not an RFC 3339 date-time with a zone/);
    expect(() => answer(['2026-08-14T01:00:00+05:30'])).not.toThrow();
    expect(() =>
      parseRadarResult({ meta: {}, serie_0: { timestamps: ['2026-08-14T01:00:00Z'], HTTP: [] } }, [
        ['serie_0'],
      ]),
    ).toThrow(/has 0 values for 1 timestamps/);
  });
});

describe('expectedBuckets', () => {
  test('the complete buckets up to lastUpdated, within the window', () => {
    const start = Date.parse('2026-08-14T00:00:00Z');
    expect(expectedBuckets('1h', start, start + 24 * H, undefined)).toBe(24);
    expect(expectedBuckets('1h', start, start + 24 * H, start + 5.5 * H)).toBe(5);
    expect(expectedBuckets('15m', start, start + 24 * H, start - H)).toBe(0);
    expect(expectedBuckets('1w', start, start + 7 * 24 * 7 * H, undefined)).toBe(6);
  });

  describe("the answer's meta says what it is", () => {
    const withMeta = (meta: Record<string, unknown>) =>
      parseRadarResult({ meta, serie_0: { timestamps: ['2026-08-14T00:00:00Z'], HTTP: ['100'] } }, [
        ['serie_0'],
      ]);
    const asked: RadarRequest = { ...hourly, normalization: 'PERCENTAGE' };

    test('the aggInterval and normalization asked for, in either spelling, or left out', () => {
      for (const meta of [
        { aggInterval: 'ONE_HOUR', normalization: 'PERCENTAGE' },
        { aggInterval: '1h', normalization: 'percentage' },
        {},
      ])
        expect(() => checkAnswer(withMeta(meta), asked)).not.toThrow();
    });

    test('another aggInterval is refused, naming both', () => {
      expect(() => checkAnswer(withMeta({ aggInterval: 'ONE_DAY' }), asked)).toThrow(
        /malformed Radar response: meta.aggInterval is "ONE_DAY", but aggInterval 1h \(ONE_HOUR\) was asked for/,
      );
    });

    test('another normalization is refused, naming both', () => {
      expect(() => checkAnswer(withMeta({ normalization: 'RAW_VALUES' }), asked)).toThrow(
        /meta.normalization is "RAW_VALUES", but normalization PERCENTAGE was asked for/,
      );
    });
  });
});

describe('checkAnswer: the traffic level (netflows/timeseries)', () => {
  const level: RadarRequest = { ...hourly, dimension: 'TRAFFIC_LEVEL', normalization: 'MIN0_MAX' };
  const levelAnswer = (columns: Record<string, string[]>) =>
    parseRadarResult(
      {
        meta: { lastUpdated: '2026-08-15T00:00:00Z' },
        serie_0: { timestamps: ['2026-08-14T00:00:00Z'], ...columns },
      },
      [['serie_0']],
    );

  test('one column of values per series, whatever Radar calls it; two columns would be two meanings under one series', () => {
    expect(() => checkAnswer(levelAnswer({ values: ['0.5'] }), level)).not.toThrow();
    expect(() => checkAnswer(levelAnswer({ value: ['0.5'] }), level)).not.toThrow();
    expect(() => checkAnswer(levelAnswer({ values: ['0.5'], other: ['1'] }), level)).toThrow(
      /series "serie_0" of the traffic level has 2 columns \(values, other\) where one, "values", was expected/,
    );
    // A groups answer of two groups is what shares are.
    expect(() => checkAnswer(levelAnswer({ values: ['0.5'], other: ['1'] }), hourly)).not.toThrow();
  });
});
