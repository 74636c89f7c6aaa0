import { describe, expect, test } from '@jest/globals';
import { influxqlDeletes, v2DeleteBody } from '../../../../src/sink/influx/deletion.js';
import type { GroupRemoval } from '../../../../src/sink/sink.js';

const removal: GroupRemoval = {
  measurement: 'radar_netflows',
  seriesTags: { job: 'j', series: 'it\'s \\ "x"' },
  groupTag: 'group_key',
  keep: ['US', 'line\nbreak', 'other'],
  startMs: Date.parse('2026-11-26T00:00:00Z'),
  endMs: Date.parse('2026-12-03T00:00:00Z'),
};

describe('deletes of the groups a window no longer names', () => {
  test('InfluxQL: the series by its tags, every kept group excluded, the window half-open; quotes escaped', () => {
    expect(influxqlDeletes([removal, { ...removal, keep: [] }])).toBe(
      `DELETE FROM "radar_netflows" WHERE "job" = 'j' AND "series" = 'it\\'s \\\\ "x"' AND "group_key" != 'US' AND "group_key" != 'other' ` +
        `AND time >= '2026-11-26T00:00:00.000Z' AND time < '2026-12-03T00:00:00.000Z'; ` +
        `DELETE FROM "radar_netflows" WHERE "job" = 'j' AND "series" = 'it\\'s \\\\ "x"' ` +
        `AND time >= '2026-11-26T00:00:00.000Z' AND time < '2026-12-03T00:00:00.000Z'`,
    );
  });

  test('InfluxDB 2.x: = and != joined by AND, values as quoted identifiers, the stop inclusive', () => {
    expect(v2DeleteBody(removal)).toEqual({
      start: '2026-11-26T00:00:00.000Z',
      stop: '2026-12-02T23:59:59.999999999Z',
      predicate:
        '_measurement="radar_netflows" AND "job"="j" AND "series"="it\'s \\\\ \\"x\\"" AND "group_key"!="US" AND "group_key"!="other"',
    });
  });
});
