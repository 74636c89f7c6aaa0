import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  encodeBatch,
  encodeBody,
  LineProtocolError,
  toLine,
} from '../../../../src/sink/influx/lineProtocol.js';
import { IntField, type Point, type PointBatch } from '../../../../src/model/point.js';
import { parseLine } from '../../../harness/lineProtocolParser.js';

/** Strings rich in what line protocol must escape: , = space " \ newlines, unicode, long runs. */
const hostile = fc.oneof(
  fc.string({
    unit: fc.constantFrom(',', '=', ' ', '"', '\\', '\n', 'a', 'Z', '0', 'é', '🙂', '\t'),
    maxLength: 20,
  }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ maxLength: 3000 }),
);

/** Where escapeKey must refuse: a line break, or a backslash InfluxDB 1.x would read as an escape. */
const unwritable = (s: string, specials: RegExp): boolean =>
  s === '' || /[\n\r]/.test(s) || new RegExp(`\\\\(${specials.source}|$)`).test(s);

describe('line protocol, property-based, against an independent parser', () => {
  test('any tag value, tag key, field string and measurement round-trips or is refused with a LineProtocolError', () => {
    fc.assert(
      fc.property(
        hostile,
        hostile,
        hostile,
        hostile,
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.integer({ min: 0, max: 2 ** 42 }),
        (measurement, tagKey, tagValue, text, value, time) => {
          const point: Point = {
            measurement,
            tags: { [tagKey]: tagValue, job: 'j' },
            fields: { value, text, count: new IntField(7) },
            timeMs: time,
          };
          const refused =
            unwritable(measurement, /[, ]/) ||
            (tagValue !== '' && (unwritable(tagKey, /[,= ]/) || unwritable(tagValue, /[,= ]/)));
          let line: string;
          try {
            line = toLine(point);
          } catch (error) {
            expect(error).toBeInstanceOf(LineProtocolError);
            expect(refused).toBe(true);
            return;
          }
          expect(refused).toBe(false);
          const parsed = parseLine(line);
          expect(parsed.measurement).toBe(measurement);
          expect(parsed.tags).toEqual(
            tagValue === ''
              ? { job: 'j' }
              : { [tagKey]: tagValue, job: 'j', ...(tagKey === 'job' ? { job: tagValue } : {}) },
          );
          expect(parsed.fields).toEqual({ value: Object.is(value, -0) ? 0 : value, text, count: { int: 7 } });
          expect(parsed.time).toBe(time);
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('encodeBody writes, byte for byte, the lines encodeBatch makes, and refuses the same points', () => {
    const group = fc.record({
      tagValue: hostile,
      values: fc.array(fc.oneof(fc.double(), fc.constant(1e-7), fc.constant(-0)), { maxLength: 30 }),
    });
    fc.assert(
      fc.property(fc.array(group, { maxLength: 6 }), hostile, (groups, text) => {
        const batch: PointBatch = {
          groups: groups.map(({ tagValue, values }) => ({
            measurement: 'radar_netflows',
            field: 'value',
            tags: { job: 'j', group_key: tagValue },
            timesMs: values.map((_, i) => 1_700_000_000_000 + i * 900_000),
            timeTexts: values.map((_, i) => String(1_700_000_000_000 + i * 900_000)),
            values,
          })),
          points: [{ measurement: 'radar_fetches', tags: { job: 'j' }, fields: { text }, timeMs: 5 }],
        };
        const lines = encodeBatch(batch);
        const body = encodeBody(batch);
        expect(body.body.lines).toEqual(lines.lines);
        expect(body.body.count).toBe(lines.lines.length);
        expect(body.body.body.toString('utf8')).toBe(lines.lines.join('\n'));
        expect([body.refused.length, body.refusedFromGroups]).toEqual([
          lines.refused.length,
          lines.refusedFromGroups,
        ]);
      }),
      { numRuns: 1000 },
    );
  });
});
