import { describe, expect, test } from '@jest/globals';
import { startCli, waitFor } from '../harness/cli.js';
import { useStack } from '../harness/stack.js';

describe('run writes only the buckets that are new or changed', () => {
  const stack = useStack('unchanged', { fixedHorizon: true });
  const { sim, influx } = stack;

  test('the open window fetched again writes nothing unchanged, and a changed older bucket is still written', async () => {
    const file = stack.writeConfig(`
radar: { retryDelayMs: 20 }
service: { graceMs: 5000 }
jobs:
  - { name: open, schedule: "*/2 * * * * *", dimensions: [LOCATION], intervals: [15m], limitPerGroup: 3, lookback: 1d }
`);
    const openStart = (): string | undefined =>
      sim.served
        .map((s) => s.params.dateStart![0]!)
        .sort((a, b) => Date.parse(a) - Date.parse(b))
        .at(-1);
    const runsOfOpenWindow = () => sim.served.filter((s) => s.params.dateStart![0] === openStart()).length;
    const daemon = startCli(['run', '--config', file], stack.env({ LOG_LEVEL: 'warn' }));
    try {
      await waitFor('two runs', () => runsOfOpenWindow() >= 2);
      const windowStartMs = Date.parse(openStart()!);
      // An older bucket of the open window (its first) changes: Radar revised one group's traffic there.
      sim.adjust = ({ groupKey, timeMs }, value) =>
        groupKey === 'US' && timeMs === windowStartMs ? value * 3 : value;
      const adjustedAt = sim.served.length;
      await waitFor(
        'two runs after the change',
        () => sim.served.slice(adjustedAt).filter((s) => s.params.dateStart![0] === openStart()).length >= 2,
      );
    } finally {
      daemon.child.kill('SIGTERM');
      expect((await daemon.exited).code).toBe(0);
    }
    // InfluxDB holds the last value served for every point: the revised bucket included.
    await stack.expectMatchesServed(() => 'open');

    const records = (
      await influx.query(
        `SELECT points, "unchanged", window_start_ms FROM radar_fetches WHERE window_start_ms = ${Date.parse(openStart()!)}`,
        stack.db,
      )
    ).map((r) => ({ points: r.points as number, unchanged: r.unchanged as number }));
    const full = records[0]!.points;
    expect(full).toBeGreaterThan(100);
    expect(records[0]!.unchanged).toBe(0);
    // Fetched again with nothing new: nothing written.
    expect(records[1]).toEqual({ points: 0, unchanged: full });
    // After the change: exactly the points of the changed bucket (its shares, so every group of it,
    // 3 and "other"), then nothing again.
    const changed = records.findIndex((r, i) => i > 1 && r.points > 0);
    expect(records[changed]).toEqual({ points: 4, unchanged: full - 4 });
    expect(records[changed + 1]).toEqual({ points: 0, unchanged: full });
  });
});
