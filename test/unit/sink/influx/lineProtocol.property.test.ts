import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { encodeBody, LineProtocolError, toLine } from '../../../../src/sink/influx/lineProtocol.js';
import { cleanText } from '../../../../src/sink/storableText.js';
import { groupPoints, IntField, type Point, type PointBatch } from '../../../../src/model/point.js';
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
/**
 * What no reader gives back unchanged: written here from the rules (the reference parser refuses code
 * points 0–31 and 127, influxdata/line-protocol `lineprotocol/decoder.go`; a lone surrogate has no
 * UTF-8 form), not from the writer.
 */
const unwritable = (s: string, specials: RegExp): boolean =>
  s === '' ||
  [...s].some((c) => c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127) ||
  !(s as unknown as { isWellFormed(): boolean }).isWellFormed() ||
  new RegExp(`\\\\(${specials.source}|$)`).test(s);

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
          // String fields are display text: cleaned by the one rule (no line break reaches a line).
          expect(parsed.fields).toEqual({
            value: Object.is(value, -0) ? 0 : value,
            text: cleanText(text),
            count: { int: 7 },
          });
          expect(line).not.toMatch(/[\n\r]/);
          expect(parsed.time).toBe(time);
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('encodeBody writes each traffic point, byte for byte, as toLine writes it, and refuses what toLine refuses', () => {
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
        // The reference: each point through the general encoder; a group is refused whole when any
        // of its points is (a group key is stored for all its points, or for none).
        const expected: string[] = [];
        let refused = 0;
        const single: string[] = [];
        for (const g of batch.groups) {
          const points = groupPoints(g);
          try {
            const lines = points.map(toLine);
            expected.push(...lines);
          } catch (error) {
            if (!(error instanceof LineProtocolError)) throw error;
            refused += points.length;
          }
        }
        for (const p of batch.points) {
          try {
            single.push(toLine(p));
          } catch (error) {
            if (!(error instanceof LineProtocolError)) throw error;
            refused++;
          }
        }
        const body = encodeBody(batch);
        expect(body.body.lines).toEqual([...expected, ...single]);
        expect(body.body.count).toBe(expected.length + single.length);
        expect(body.body.body.toString('utf8')).toBe([...expected, ...single].join('\n'));
        expect(body.refused.reduce((n, r) => n + r.points.length, 0)).toBe(refused);
      }),
      { numRuns: 1000 },
    );
  });
});
