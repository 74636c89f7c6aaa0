import { describe, expect, test } from '@jest/globals';
import {
  influxqlDeletes,
  influxqlDeletesKeeping,
  influxqlGroupsFound,
  staleGroupsIn,
  v2DeleteBody,
} from '../../../../src/sink/influx/deletion.js';
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
  test('InfluxQL look: per removal, the counts of its series in the window by group, one statement each', () => {
    expect(influxqlGroupsFound([removal, { ...removal, seriesTags: { job: 'k' } }])).toBe(
      `SELECT count(*) FROM "radar_netflows" WHERE "job" = 'j' AND "series" = 'it\\'s \\\\ "x"' ` +
        `AND time >= '2026-11-26T00:00:00.000Z' AND time < '2026-12-03T00:00:00.000Z' GROUP BY "group_key"; ` +
        `SELECT count(*) FROM "radar_netflows" WHERE "job" = 'k' ` +
        `AND time >= '2026-11-26T00:00:00.000Z' AND time < '2026-12-03T00:00:00.000Z' GROUP BY "group_key"`,
    );
  });

  test('the look read: the groups found and not kept, per removal; none where the series holds nothing', () => {
    const answer = JSON.stringify({
      results: [
        {
          statement_id: 0,
          series: ['US', 'DE', 'other', "it's"].map((g) => ({
            name: 'radar_netflows',
            tags: { group_key: g },
            columns: ['time', 'count_value'],
            values: [['2026-11-26T00:00:00Z', 3]],
          })),
        },
        { statement_id: 1 },
      ],
    });
    expect(staleGroupsIn(answer, [removal, removal])).toEqual([
      { removal, groups: ['DE', "it's"] },
      { removal, groups: [] },
    ]);
    // A database not there yet holds nothing; a failed statement is an error, as is an answer not JSON.
    const missing = JSON.stringify({ results: [{ statement_id: 0, error: 'database not found: bf' }] });
    expect(staleGroupsIn(missing, [removal])).toEqual([{ removal, groups: [] }]);
    const failed = JSON.stringify({ results: [{ statement_id: 0, error: 'shard is disabled' }] });
    expect(() => staleGroupsIn(failed, [removal])).toThrow('shard is disabled');
    expect(() => staleGroupsIn('<html>bad gateway</html>', [removal])).toThrow();
  });

  test('InfluxQL delete: the series by its tags, only the groups found and not kept (OR), the window half-open', () => {
    expect(
      influxqlDeletes([
        { removal, groups: ['DE', "it's"] },
        { removal, groups: [] },
      ]),
    ).toBe(
      `DELETE FROM "radar_netflows" WHERE "job" = 'j' AND "series" = 'it\\'s \\\\ "x"' AND ("group_key" = 'DE' OR "group_key" = 'it\\'s') ` +
        `AND time >= '2026-11-26T00:00:00.000Z' AND time < '2026-12-03T00:00:00.000Z'`,
    );
    expect(influxqlDeletes([{ removal, groups: [] }])).toBe('');
  });

  test('InfluxQL delete for a user who may not read: every kept group excluded; quotes escaped', () => {
    expect(influxqlDeletesKeeping([removal, { ...removal, keep: [] }])).toBe(
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
