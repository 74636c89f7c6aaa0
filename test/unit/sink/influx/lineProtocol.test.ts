import { linesPayload } from '../../../../src/sink/influx/lineBatch.js';
import { describe, expect, test } from '@jest/globals';
import { encodeBody, LineProtocolError, toLine } from '../../../../src/sink/influx/lineProtocol.js';
import { IntField } from '../../../../src/model/point.js';

const point = (
  tags: Record<string, string>,
  fields: Record<string, never> | Record<string, unknown> = { value: 1.5 },
) => ({
  measurement: 'radar_netflows',
  tags,
  fields: fields as never,
  timeMs: 1_700_000_000_000,
});

describe('toLine', () => {
  test('sorts tags, leaves out empty ones, writes floats, integers, booleans and strings', () => {
    expect(
      toLine(
        point(
          { job: 'w', dimension: 'AS', empty: '' },
          { value: 31.52, n: new IntField(3), ok: true, s: 'x' },
        ),
      ),
    ).toBe('radar_netflows,dimension=AS,job=w value=31.52,n=3i,ok=true,s="x" 1700000000000');
  });

  test('a whole number is still a float field (no i suffix)', () => {
    expect(toLine(point({ job: 'w' }, { value: 100 }))).toBe('radar_netflows,job=w value=100 1700000000000');
  });

  test('escapes commas, spaces and = in tags, quotes and backslashes in strings', () => {
    expect(toLine(point({ 'job name': 'a,b=c d' }, { description: 'say "hi" \\o/' }))).toBe(
      'radar_netflows,job\\ name=a\\,b\\=c\\ d description="say \\"hi\\" \\\\o/" 1700000000000',
    );
  });

  test('keeps unicode as it is', () => {
    expect(toLine(point({ job: 'Zürich 🙂' }))).toBe(
      'radar_netflows,job=Zürich\\ 🙂 value=1.5 1700000000000',
    );
  });

  test.each([
    ['a line break in a tag', { job: 'a\nb' }, /contains a line break/],
    ['a trailing backslash', { job: 'a\\' }, /backslash before "the end"/],
    ['a backslash before a space', { job: 'a\\ b' }, /backslash before " "/],
  ])('refuses %s', (_name, tags, message) => {
    expect(() => toLine(point(tags))).toThrow(LineProtocolError);
    expect(() => toLine(point(tags))).toThrow(message);
  });

  test('refuses non-finite numbers and points without fields', () => {
    expect(() => toLine(point({ job: 'w' }, { value: NaN }))).toThrow(/not a finite number/);
    expect(() => toLine(point({ job: 'w' }, {}))).toThrow(/has no fields/);
  });
});

describe('linesPayload', () => {
  test('is the lines joined by newlines, in UTF-8, whatever characters they hold', () => {
    const lines = ['m,k=v f=1 1', 'm,k=Zürich\\ 東京 f=2 2', 'm,k=😀 f=3 3', ''];
    expect(linesPayload(lines).toString('utf8')).toBe(lines.join('\n'));
    expect(linesPayload([]).length).toBe(0);
    const wide = Array.from({ length: 200 }, (_, i) =>
      i % 3 === 0 ? `m,k=東京${'😀'.repeat(i)} f=1 ${i}` : `m f=${i} 1`,
    );
    expect(linesPayload(wide).toString('utf8')).toBe(wide.join('\n'));
  });
});

describe('a traffic group with a value line protocol cannot carry', () => {
  test('is refused whole by both encoders: none of its points is written and also dead-lettered', () => {
    const batch = {
      groups: [
        {
          measurement: 'radar_netflows',
          field: 'value',
          tags: { job: 'j', group_key: 'US' },
          timesMs: [1, 2],
          timeTexts: ['1', '2'],
          values: [1e-7, Number.NEGATIVE_INFINITY],
        },
      ],
      points: [],
    };
    const body = encodeBody(batch);
    expect([body.body.lines, body.body.count, body.refused[0]?.points.length]).toEqual([[], 0, 2]);
  });
});
