import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { makeQuery } from '../../fixtures/query.js';
import { flattenTraffic, MEASUREMENT } from '../../../src/flatten/flatten.js';
import { encodeBody } from '../../../src/sink/influx/lineProtocol.js';
import { parseRadarResult } from '../../../src/radar/response.js';
import { parseLine } from '../../harness/lineProtocolParser.js';

const H = 3_600_000;
const query = makeQuery({ windowMs: 1000 * H });

/** Numbers as Radar writes them: plain decimals and exponent notation, as strings. */
const radarNumber = fc.oneof(
  fc.double({ min: 0, max: 1e6, noNaN: true }).map((v) => String(v)),
  fc.double({ min: 1e-12, max: 1e-3, noNaN: true }).map((v) => v.toExponential(3)),
  fc.integer({ min: 0, max: 100 }).map(String),
);
/** Group keys: safe to write (no line breaks, no backslash before a special character). */
const groupKey = fc
  .string({ minLength: 1, maxLength: 40, unit: 'grapheme' })
  .filter((k) => k !== 'timestamps' && !/[\n\r]|\\([,= ]|$)/.test(k));

describe('flatten, property-based', () => {
  test('every group × timestamp of a response becomes exactly one point whose line reads back to the same key and value', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 30 }),
        fc.uniqueArray(groupKey, { maxLength: 8 }),
        fc.infiniteStream(radarNumber),
        (buckets, keys, numbers) => {
          const timestamps = Array.from({ length: buckets }, (_, i) =>
            new Date(i * H).toISOString().replace('.000', ''),
          );
          const serie: Record<string, string[]> = { timestamps };
          const values = new Map<string, string[]>();
          for (const key of keys) {
            const column = timestamps.map(() => numbers.next().value as string);
            values.set(key, column);
            Object.defineProperty(serie, key, { value: column, enumerable: true });
          }
          const response = parseRadarResult({ meta: {}, serie_0: serie }, [['serie_0']]);
          const { groups, pointCount } = flattenTraffic(query, { startMs: 0, endMs: 1000 * H }, response);
          const lines = [...encodeBody({ groups, points: [] }).body.lines];
          expect(groups.every((g) => g.measurement === MEASUREMENT.traffic)).toBe(true);
          expect(pointCount).toBe(buckets * keys.length);
          expect(lines).toHaveLength(pointCount);
          for (const line of lines) {
            const parsed = parseLine(line);
            const key = parsed.tags.group_key!;
            expect(parsed.fields.value).toBe(parseFloat(values.get(key)![parsed.time / H]!));
            expect(parsed.tags).toMatchObject({
              job: 'j',
              series: 'j',
              dimension: 'AS',
              agg_interval: '1h',
              normalization: 'PERCENTAGE',
            });
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
