import { describe, expect, test } from '@jest/globals';
import { parseDecimal, parseRadarResult, RadarResponseError } from '../../../src/radar/response.js';

const result = (series: Record<string, unknown>, meta: unknown = {}) => ({ meta, ...series });

describe('parseRadarResult', () => {
  test('parses numeric strings, exponent notation and nulls, keeping every group', () => {
    const parsed = parseRadarResult(
      result({
        serie_0: {
          timestamps: ['2026-08-14T09:00:00Z', '2026-08-14T10:00:00Z'],
          US: ['31.52', '1.4e-05'],
          other: [null, 7],
        },
      }),
      [['serie_0']],
    );
    const [series] = parsed.series;
    expect(series!.timestampsMs).toEqual([
      Date.parse('2026-08-14T09:00:00Z'),
      Date.parse('2026-08-14T10:00:00Z'),
    ]);
    expect([...series!.groups.get('US')!]).toEqual([31.52, 0.000014]);
    expect([...series!.groups.get('other')!]).toEqual([NaN, 7]);
  });

  test('finds a named series under its name or its position', () => {
    const parsed = parseRadarResult(result({ us: { timestamps: [] }, serie_1: { timestamps: [] } }), [
      ['us', 'serie_0'],
      ['pt', 'serie_1'],
    ]);
    expect(parsed.series.map((s) => s.key)).toEqual(['us', 'serie_1']);
  });

  test('reads meta and annotations, tolerating unknown fields', () => {
    const parsed = parseRadarResult(
      result(
        { serie_0: { timestamps: [] } },
        {
          lastUpdated: '2026-08-15T08:15:00Z',
          somethingNew: { x: 1 },
          confidenceInfo: {
            level: 5,
            annotations: [
              {
                dataSource: 'ALL',
                eventType: 'OUTAGE',
                description: 'd',
                startDate: '2026-08-14T00:00:00Z',
                isInstantaneous: true,
                linkedUrl: 'u',
                extra: 1,
              },
              { broken: true },
            ],
          },
        },
      ),
      [['serie_0']],
    );
    expect(parsed.meta.lastUpdatedMs).toBe(Date.parse('2026-08-15T08:15:00Z'));
    expect(parsed.meta.confidenceLevel).toBe(5);
    expect(parsed.meta.annotations).toEqual([
      {
        dataSource: 'ALL',
        eventType: 'OUTAGE',
        description: 'd',
        linkedUrl: 'u',
        startMs: Date.parse('2026-08-14T00:00:00Z'),
        endMs: undefined,
        instantaneous: true,
      },
    ]);
  });

  const malformed: [string, unknown, RegExp][] = [
    [
      'a missing series',
      result({ other_thing: 1 }),
      /series "serie_0" is missing \(result has other_thing\)/,
    ],
    [
      'unequal arrays',
      result({ serie_0: { timestamps: ['2026-01-01T00:00:00Z'], US: ['1', '2'] } }),
      /group "US" has 2 values for 1 timestamps/,
    ],
    [
      'a non-numeric value',
      result({ serie_0: { timestamps: ['2026-01-01T00:00:00Z'], US: ['abc'] } }),
      /value 0 "abc" is not a number/,
    ],
    [
      'a bad timestamp',
      result({ serie_0: { timestamps: ['yesterday'] } }),
      /timestamps\[0\] "yesterday" is not an RFC 3339/,
    ],
    ['no timestamps', result({ serie_0: { US: [] } }), /has no "timestamps" array/],
    ['a result that is not an object', [], /"result" is not an object/],
  ];
  test.each(malformed)('refuses %s with a clear, retryable error', (_name, body, message) => {
    let caught: unknown;
    try {
      parseRadarResult(body, [['serie_0']]);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RadarResponseError);
    expect((caught as RadarResponseError).message).toMatch(message);
    expect((caught as RadarResponseError).retryable).toBe(true);
  });
});

describe('parseDecimal', () => {
  test.each([
    ['31.52', 31.52],
    ['-0.5', -0.5],
    ['+2', 2],
    ['.5', 0.5],
    ['1.', 1],
    ['1.4e-05', 0.000014],
    ['2E+3', 2000],
    ['007', 7],
  ])('reads %s', (text, value) => {
    expect(parseDecimal(text)).toBe(value);
  });

  test.each([
    '',
    ' 1',
    '1 ',
    '0x10',
    '0o7',
    '0b1',
    'Infinity',
    '-Infinity',
    'NaN',
    '1e',
    '1,5',
    '--1',
    'abc',
    '1.2.3',
  ])('refuses %j', (text) => {
    expect(parseDecimal(text)).toBeNaN();
  });
});
