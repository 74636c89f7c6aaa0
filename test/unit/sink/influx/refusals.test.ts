import { describe, expect, test } from '@jest/globals';
import { readRefusal } from '../../../../src/sink/influx/refusals.js';

/** Bodies as influxd 1.6.7 answered them (recorded from a real server), and InfluxDB 3's JSON. */
describe('readRefusal', () => {
  test('beyond the retention policy: the N oldest lines, the rest written', () => {
    const lines = ['m,k=a v=1 300', 'm,k=a v=2 100', 'm,k=b v=3 200'];
    expect(readRefusal(lines, '{"error":"partial write: points beyond retention policy dropped=2"}')).toEqual(
      {
        took: 'rest',
        refused: ['m,k=a v=2 100', 'm,k=b v=3 200'],
        reason: 'partial write: points beyond retention policy dropped=2',
        complete: true,
      },
    );
  });

  test('a field type conflict: the lines with that field of that type', () => {
    const lines = ['m,k=a v=2i 2', 'm,k=a v="x" 3', 'm,k=b v=4i 4', 'n,k=a v="y" 5'];
    const body =
      '{"error":"partial write: field type conflict: input field \\"v\\" on measurement \\"m\\" is type string, already exists as type integer dropped=1"}';
    expect(readRefusal(lines, body)).toMatchObject({
      took: 'rest',
      refused: ['m,k=a v="x" 3'],
      complete: true,
    });
  });

  test('max-values-per-tag: the lines with that value; the rest is written again', () => {
    const lines = ['m,k=a v=1 2', 'm,k=d v=1 1', 'm,k=b v=1 2', 'm,k=d v=2 2'];
    const body =
      '{"error":"partial write: max-values-per-tag limit exceeded (3/3): measurement=\\"m\\" tag=\\"k\\" value=\\"d\\" dropped=2"}';
    expect(readRefusal(lines, body)).toMatchObject({ took: 'none', refused: ['m,k=d v=1 1', 'm,k=d v=2 2'] });
  });

  test('a line influxd cannot parse, named in its answer', () => {
    const lines = ['m,k=a v=1 1', 'm,k=a \u0001garbage v=1 1', 'm,k=a v=2 2'];
    const body =
      '{"error":"partial write: unable to parse \'m,k=a \\u0001garbage v=1 1\': invalid field format dropped=0"}';
    expect(readRefusal(lines, body)).toMatchObject({ took: 'none', refused: ['m,k=a \u0001garbage v=1 1'] });
  });

  test('InfluxDB 3: the refused lines are listed in data[], the valid ones written', () => {
    const lines = ['m v=1 1', 'm v="s" 2', 'm v=3 3'];
    const body = JSON.stringify({
      error: 'partial write of line protocol occurred',
      data: [
        { original_line: 'm v="s" 2', line_number: 2, error_message: "invalid column type for column 'v'" },
      ],
    });
    expect(readRefusal(lines, body)).toEqual({
      took: 'rest',
      refused: ['m v="s" 2'],
      reason: "partial write of line protocol occurred: invalid column type for column 'v'",
      complete: true,
    });
    // By line number when the text is not given.
    const numbered = JSON.stringify({
      error: 'partial write of line protocol occurred',
      data: [{ line_number: 3 }],
    });
    expect(readRefusal(lines, numbered)).toMatchObject({ refused: ['m v=3 3'] });
  });

  test('InfluxDB 3: a parse failure names its line; nothing was written', () => {
    const body = JSON.stringify({
      error: 'parsing failed for write_lp endpoint',
      data: { original_line: 'bad', line_number: 1, error_message: 'No fields were provided' },
    });
    expect(readRefusal(['bad', 'm v=1 1'], body)).toMatchObject({ took: 'none', refused: ['bad'] });
  });

  test('InfluxDB 2.x words it in "message"; a refusal that names no line is unknown', () => {
    expect(
      readRefusal(
        ['m v=1 1'],
        '{"code":"invalid","message":"partial write: max-series-per-database limit exceeded: (6) dropped=4"}',
      ),
    ).toEqual({
      took: 'unknown',
      reason: 'partial write: max-series-per-database limit exceeded: (6) dropped=4',
    });
    expect(readRefusal(['m v=1 1'], 'not json at all')).toEqual({
      took: 'unknown',
      reason: 'not json at all',
    });
  });
});
