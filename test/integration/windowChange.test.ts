import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../harness/cli.js';
import { actualTraffic } from '../harness/groundTruth.js';
import type { Served } from '../harness/radarSimulator.js';
import { useStack } from '../harness/stack.js';

const DAY = 86_400_000;
const STEP = { '15m': 900_000, '1h': 3_600_000 } as const;

/** The jobs file with the given `windows:` lines (none: the defaults, 15m → 7d and 1h → 28d). */
const config = (windows: string) => `
radar: { retryDelayMs: 20, rateLimit: 100000 }
${windows}
jobs:
  - { name: grid, dimensions: [LOCATION], intervals: [15m, 1h], limitPerGroup: 3 }
`;

/** The [start, end) each request of an interval asked for, oldest first. */
function ranges(served: readonly Served[], interval: keyof typeof STEP): [number, number][] {
  return served
    .filter((s) => s.params.aggInterval?.[0] === interval)
    .map((s): [number, number] => [Date.parse(s.params.dateStart![0]!), Date.parse(s.params.dateEnd![0]!)])
    .sort((a, b) => a[0] - b[0]);
}

const overlaps = (range: [number, number], fromMs: number, toMs: number) =>
  range[0] < toMs && range[1] > fromMs;

describe('changing windows: on an existing state directory', () => {
  const stack = useStack('window_change', { fixedHorizon: true });
  const { sim } = stack;

  test('a larger grid fetches nothing final again and leaves no gap: scheduled runs, then backfill', async () => {
    const env = stack.env({ LOG_LEVEL: 'warn' });
    // 2026-10-02 → 2026-10-20 on the old grid (1-day windows): both ends lie inside windows of the
    // new one (7 and 28 days from the epoch, a Thursday), and the range crosses a line of each.
    const oldFrom = Date.parse('2026-10-02T00:00:00Z');
    const oldTo = Date.parse('2026-10-20T00:00:00Z');
    const small = stack.writeConfig(config('windows: { 15m: 1d, 1h: 1d }'), 'small.yaml');
    const first = await runCli(
      ['backfill', '--config', small, '--from', '2026-10-02', '--to', '2026-10-20'],
      env,
    );
    expect(first.code).toBe(0);
    const state = () =>
      (
        JSON.parse(readFileSync(join(stack.stateDir, 'state.json'), 'utf8')) as {
          queries: Record<string, { finalFromMs: number; checkpointMs: number }>;
        }
      ).queries;
    for (const interval of ['15m', '1h'])
      expect(state()[`grid/LOCATION/${interval}`]).toMatchObject({
        finalFromMs: oldFrom,
        checkpointMs: oldTo,
      });

    // Now the default windows. A scheduled run starts exactly at the checkpoint, off the new grid.
    const large = stack.writeConfig(config(''), 'large.yaml');
    let mark = sim.served.length;
    expect((await runCli(['once', '--config', large], env)).code).toBe(0);
    for (const interval of ['15m', '1h'] as const) {
      const asked = ranges(sim.served.slice(mark), interval);
      expect(asked[0]![0]).toBe(oldTo);
      for (let i = 1; i < asked.length; i++) expect(asked[i]![0]).toBe(asked[i - 1]![1]);
    }

    // A backfill around the old range asks only for what lies outside the final range.
    const final = state();
    mark = sim.served.length;
    const from = Date.parse('2026-09-20T00:00:00Z');
    const second = await runCli(
      ['backfill', '--config', large, '--from', '2026-09-20', '--to', '2026-10-20'],
      env,
    );
    expect(second.code).toBe(0);
    for (const interval of ['15m', '1h'] as const) {
      const { finalFromMs, checkpointMs } = final[`grid/LOCATION/${interval}`]!;
      expect(finalFromMs).toBe(oldFrom);
      const asked = ranges(sim.served.slice(mark), interval);
      for (const range of asked) expect(overlaps(range, finalFromMs, checkpointMs)).toBe(false);
      // The requests reach from the new grid's window holding `from` up to the final range, gap-free.
      expect(asked[0]![0]).toBeLessThanOrEqual(from);
      for (let i = 1; i < asked.length; i++) expect(asked[i]![0]).toBe(asked[i - 1]![1]);
      expect(asked.at(-1)![1]).toBe(finalFromMs);
    }
    // One request per window of the new grid: 15m in 7-day windows from 2026-09-17 (the last one cut
    // at 2026-10-02), 1h in 28-day windows from 2026-08-27 (the second, from 2026-09-24, cut there too).
    expect(ranges(sim.served.slice(mark), '15m')).toHaveLength(3);
    expect(ranges(sim.served.slice(mark), '1h')).toHaveLength(2);

    // Every bucket from the backfill's first window to the newest is in InfluxDB, and as served.
    await stack.expectMatchesServed(() => 'grid');
    const actual = await actualTraffic(stack.influx, stack.db);
    const horizon = sim.dataUntilMs();
    for (const interval of ['15m', '1h'] as const) {
      const step = STEP[interval];
      const times = new Set(
        [...actual.points.keys()]
          .filter((k) => k.includes(`|${interval}|`))
          .map((k) => Number(k.split('|')[6])),
      );
      const oldest = Math.min(...times);
      const newest = Math.ceil(horizon / step) * step - step;
      expect(oldest).toBeLessThanOrEqual(from);
      expect(Math.max(...times)).toBe(newest);
      expect(times.size).toBe((newest - oldest) / step + 1);
    }
  });

  test('a smaller grid carries on from the checkpoint of the larger one', async () => {
    const env = stack.env({ LOG_LEVEL: 'warn' });
    const large = stack.writeConfig(config(''), 'large.yaml');
    expect((await runCli(['once', '--config', large], env)).code).toBe(0);
    const before = (
      JSON.parse(readFileSync(join(stack.stateDir, 'state.json'), 'utf8')) as {
        queries: Record<string, { checkpointMs: number }>;
      }
    ).queries;
    const mark = sim.served.length;
    const small = stack.writeConfig(config('windows: { 15m: 1d, 1h: 1d }'), 'small.yaml');
    expect((await runCli(['once', '--config', small], env)).code).toBe(0);
    for (const interval of ['15m', '1h'] as const) {
      const asked = ranges(sim.served.slice(mark), interval);
      expect(asked[0]![0]).toBe(before[`grid/LOCATION/${interval}`]!.checkpointMs);
      for (const [start, end] of asked) expect(end - start).toBeLessThanOrEqual(DAY);
    }
    await stack.expectMatchesServed(() => 'grid');
  });
});
