import { describe, expect, test } from '@jest/globals';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startCli } from '../harness/cli.js';
import { SlowProxy } from '../harness/slowProxy.js';
import { useStack, type Stack } from '../harness/stack.js';

const DAY = 86_400_000;
const WEEK = 7 * DAY; // a 15m query's window, on the grid from the epoch
const CONFIG = `
radar: { retryDelayMs: 20 }
influx: { timeoutMs: 1000 }
jobs:
  - { name: top, dimensions: [LOCATION], intervals: [15m], limitPerGroup: 3, lookback: 28d }
`;

/**
 * Radar's limitPerGroup is the top N of the range asked for (docs/radar-api.md), and the open window is
 * fetched again as its range grows. Here two countries swap ranks inside every week: DE leads the first
 * two days and is gone after, GB is nothing for two days and leads after; US and FR are steady, FR the
 * smallest. Asked on day 1 of a window, the top 3 are DE, US, FR; asked on day 3, DE, US, GB: FR leaves
 * the window's answer (and is counted in `other`), so its earlier points must leave InfluxDB.
 */
function swapRanks(stack: Stack): void {
  stack.sim.adjust = ({ groupKey, timeMs }, value) => {
    const day = Math.floor((timeMs % WEEK) / DAY);
    if (groupKey === 'US') return 100;
    if (groupKey === 'DE') return day < 2 ? 300 : 0;
    if (groupKey === 'GB') return day < 2 ? 0 : 200;
    if (groupKey === 'FR') return 50;
    return value * 0.01;
  };
}

describe('a window holds its newest answer only (top N per range)', () => {
  const stack = useStack('top-groups');
  const { sim, influx } = stack;
  const env = (extra: Record<string, string> = {}) => stack.env({ LOG_LEVEL: 'warn', ...extra });

  /** The data horizon `days` into the window that held now − 14 days (the open window of real life). */
  const horizonAt = (days: number): number => Math.floor((Date.now() - 14 * DAY) / WEEK) * WEEK + days * DAY;

  const frPointsIn = async (startMs: number): Promise<number> =>
    (
      await influx.query(
        `SELECT "value" FROM "radar_netflows" WHERE "group_key" = 'FR' AND time >= ${startMs}ms AND time < ${startMs + WEEK}ms`,
        stack.db,
      )
    ).length;

  /** `once` with the data horizon moving two days at a time up to now: the windows close one by one. */
  async function untilNow(fromDay: number, config: string): Promise<void> {
    for (let day = fromDay; horizonAt(day) < Date.now(); day += 2) {
      const horizon = horizonAt(day);
      sim.dataUntilMs = () => horizon;
      const result = await runCli(['once', '--config', config], env());
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    }
    sim.dataUntilMs = () => Date.now();
    expect((await runCli(['once', '--config', config], env())).code).toBe(0);
  }

  test('after the windows close, InfluxDB holds exactly each window’s final answer, its shares adding up to 100 %', async () => {
    swapRanks(stack);
    const config = stack.writeConfig(CONFIG);
    const window = horizonAt(0);
    sim.dataUntilMs = () => horizonAt(1);
    expect((await runCli(['once', '--config', config], env())).code).toBe(0);
    expect(await frPointsIn(window)).toBeGreaterThan(0); // day 1: FR is in the top 3
    await untilNow(3, config);
    expect(await frPointsIn(window)).toBe(0);
    await stack.expectMatchesServed(() => 'top');
    // radar_fetches says what each fetch changed: FR gone, GB come, in the window fetched on day 3.
    const records = await influx.query(
      `SELECT groups_added, groups_removed FROM radar_fetches WHERE window_start_ms = ${window}`,
      stack.db,
    );
    expect(records.some((r) => r.groups_removed === 1 && r.groups_added === 1)).toBe(true);
  });

  /**
   * FR in the top 3 of a window fetched on day 1, the horizon now on day 3 (FR out of it); InfluxDB
   * reached directly, or through the proxy returned (which the test stops).
   */
  async function fetchedOnDay1ThenDay3Due(): Promise<{ proxy: SlowProxy; config: string; window: number }> {
    swapRanks(stack);
    const proxy = await new SlowProxy(influx.url).start();
    const config = stack.writeConfig(CONFIG);
    sim.dataUntilMs = () => horizonAt(1);
    expect((await runCli(['once', '--config', config], env())).code).toBe(0);
    sim.dataUntilMs = () => horizonAt(3);
    return { proxy, config, window: horizonAt(0) };
  }

  test('kill -9 between a window’s write and its removal: the next run removes what the newest answer no longer names', async () => {
    const { proxy, config, window } = await fetchedOnDay1ThenDay3Due();
    try {
      // The removal is the first DELETE: the process dies as it asks, its write done.
      let deletes = 0;
      const once = startCli(['once', '--config', config], env({ INFLUX_URL: proxy.url }));
      proxy.inspect = (url) => {
        if (!/DELETE FROM/.test(url)) return true;
        deletes++;
        once.child.kill('SIGKILL');
        return false;
      };
      expect((await once.exited).code).toBe(null);
      expect(deletes).toBe(1);
      expect(await frPointsIn(window)).toBeGreaterThan(0); // the stale group is still there
      proxy.inspect = undefined;
      await untilNow(5, config);
      expect(await frPointsIn(window)).toBe(0);
      await stack.expectMatchesServed(() => 'top');
    } finally {
      await proxy.stop();
    }
  });

  test('with InfluxDB down when the ranks change, the spool is written first and the removal after it', async () => {
    const { proxy, config, window } = await fetchedOnDay1ThenDay3Due();
    try {
      proxy.answerAll = 503;
      const down = await runCli(['once', '--config', config], env({ INFLUX_URL: proxy.url }));
      expect(down.code).toBe(3); // points safe in the spool
      const status = await runCli(['status', '--config', config], env());
      expect(status.stdout).toMatch(/stale groups: top\/LOCATION\/15m has \d+ windows/);
      proxy.answerAll = undefined;
      // Back up: the spool (day 3's answer, without FR) is written, then FR removed; nothing brings it back.
      await untilNow(3, config);
      expect(await frPointsIn(window)).toBe(0);
      await stack.expectMatchesServed(() => 'top');
    } finally {
      await proxy.stop();
    }
  });

  test('a dead-letter replay never brings back a group its window’s newer answer no longer names', async () => {
    const config = stack.writeConfig(CONFIG);
    const window = horizonAt(0);
    const tags = (group: string) =>
      `radar_netflows,job=top,series=top,dimension=LOCATION,group_key=${group},agg_interval=15m,normalization=PERCENTAGE`;
    mkdirSync(stack.stateDir, { recursive: true });
    // FR and US were refused (InfluxDB's retention, say); since then the window's newest answer dropped FR.
    writeFileSync(
      join(stack.stateDir, 'state.json'),
      JSON.stringify({
        version: 1,
        queries: {},
        backfills: {},
        answers: {
          'top/LOCATION/15m': {
            [window]: {
              endMs: window + WEEK,
              groups: { top: ['DE', 'GB', 'US', 'other'] },
              stale: false,
              final: true,
            },
          },
        },
      }),
    );
    const letter = (group: string) =>
      JSON.stringify({
        time: '2026-12-01T00:00:00Z',
        reason: 'points beyond retention policy',
        line: `${tags(group)} value=10 ${window + DAY}`,
      });
    writeFileSync(join(stack.stateDir, 'dead-letters.jsonl'), `${letter('FR')}\n${letter('US')}\n`);
    const replay = await runCli(['dead-letters', '--replay', '--config', config], env());
    expect(replay.stdout).toMatch(
      /replayed 1 points.*; 1 of groups their window's newer answer no longer names: dropped, not written/,
    );
    expect(replay.code).toBe(0);
    const stored = await influx.query(`SELECT "value", "group_key" FROM "radar_netflows"`, stack.db);
    expect(stored.map((r) => r.group_key)).toEqual(['US']);
    expect(readFileSync(join(stack.stateDir, 'dead-letters.jsonl'), 'utf8')).toBe('');
  });
});
