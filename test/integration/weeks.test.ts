import { describe, expect, test } from '@jest/globals';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../harness/cli.js';
import { useStack } from '../harness/stack.js';

const DAY = 86_400_000;
const WEEK = 7 * DAY;
const MONDAY = 4 * DAY; // 1970-01-05, the first Monday after the epoch
const CONFIG = `
radar: { retryDelayMs: 20 }
jobs:
  - { name: weekly, dimensions: [PRODUCT, LOCATION], intervals: [1w], limitPerGroup: 3 }
`;

/**
 * Radar's weeks start on Mondays and it adjusts a weekly range to them, saying so in meta.dateRange
 * (docs/radar-api.md: `dateRange=52w` asked on a Friday came back Monday to Monday). Under either
 * dateEnd convention, every week lands once, from the window that holds it whole.
 */
describe.each([
  ['inclusive', true],
  ['exclusive', false],
])('weekly data on Radar’s Monday weeks (dateEnd %s)', (name, inclusive) => {
  const stack = useStack(`weeks-${name}`, { fixedHorizon: true });
  const { sim, influx } = stack;

  const weeksStored = async (job: string): Promise<number[]> =>
    (
      await influx.query(
        `SELECT "value" FROM "radar_netflows" WHERE "job" = '${job}' AND "group_key" = 'HTTP' AND time >= 0`,
        stack.db,
      )
    ).map((row) => Number(row.time));

  test('a 2-year weekly backfill writes every week once, each a Monday, none missing', async () => {
    sim.dateEndInclusive = inclusive;
    const result = await runCli(
      ['backfill', '--config', stack.writeConfig(CONFIG), '--from', '730d', '--to', 'now'],
      stack.env(),
    );
    expect(result.stderr).not.toMatch(/window failed|malformed/);
    expect(result.code).toBe(0);
    // Every request asked for whole Monday weeks but the open window's end (now).
    for (const served of sim.successful)
      expect((Date.parse(served.params.dateStart![0]!) - MONDAY) % WEEK).toBe(0);
    await stack.expectMatchesServed(() => 'weekly');
    const weeks = await weeksStored('weekly');
    expect(weeks.every((t) => (t - MONDAY) % WEEK === 0)).toBe(true);
    // No gap from the first week to the last one Radar had.
    const gaps = weeks.slice(1).filter((t, i) => t - weeks[i]! !== WEEK);
    expect(gaps).toEqual([]);
    expect(weeks.length).toBeGreaterThanOrEqual(103);
  });

  test('a state directory of an earlier release (1w windows from the epoch, on Thursdays) goes on without a gap', async () => {
    sim.dateEndInclusive = inclusive;
    const horizon = sim.dataUntilMs();
    // The earlier grid: 364-day windows counted from the epoch (a Thursday); the checkpoint at the
    // start of the open one, everything before it final.
    const checkpointMs = Math.floor(horizon / (364 * DAY)) * 364 * DAY;
    mkdirSync(stack.stateDir, { recursive: true });
    writeFileSync(
      join(stack.stateDir, 'state.json'),
      JSON.stringify({
        version: 1,
        queries: { 'weekly/PRODUCT/1w': { finalFromMs: checkpointMs - 364 * DAY, checkpointMs } },
        backfills: {},
      }),
    );
    const config = stack.writeConfig(
      'radar: { retryDelayMs: 20 }\njobs:\n  - { name: weekly, dimensions: [PRODUCT], intervals: [1w] }\n',
      'old.yaml',
    );
    const result = await runCli(['once', '--config', config], stack.env());
    expect(result.code).toBe(0);
    const weeks = await weeksStored('weekly');
    // The week the old checkpoint cut (it starts on the Monday before that Thursday) is written whole.
    const cutWeek = MONDAY + Math.floor((checkpointMs - MONDAY) / WEEK) * WEEK;
    expect(weeks[0]).toBe(cutWeek);
    expect(weeks.slice(1).filter((t, i) => t - weeks[i]! !== WEEK)).toEqual([]);
  });
});
