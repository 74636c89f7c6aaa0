import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../harness/cli.js';
import { actualTraffic } from '../harness/groundTruth.js';
import { useStack } from '../harness/stack.js';

const DAY = 86_400_000;
const CONFIG = `
radar: { retryDelayMs: 20 }
# Windows of a day: the last days, open to late data, are several windows to fetch again.
windows: { 15m: 1d, 1h: 1d }
jobs:
  - name: late
    dimensions: [LOCATION, AS]
    intervals: [15m, 1h]
    limitPerGroup: 4
    lookback: 3d
`;

describe('catch-up after late data', () => {
  const stack = useStack('late');
  const { influx, sim } = stack;

  test('data a day late is fetched again until final; InfluxDB then equals the API and reaches the newest bucket', async () => {
    const configFile = stack.writeConfig(CONFIG);
    const env = stack.env();
    const horizon = Math.floor(Date.now() / 900_000) * 900_000;
    sim.dataUntilMs = () => horizon - DAY;
    expect((await runCli(['once', '--config', configFile], env)).code).toBe(0);
    const state = JSON.parse(readFileSync(join(stack.stateDir, 'state.json'), 'utf8')) as {
      queries: Record<string, { checkpointMs: number }>;
    };
    for (const query of Object.values(state.queries))
      expect(query.checkpointMs).toBeLessThanOrEqual(horizon - DAY);

    sim.dataUntilMs = () => horizon;
    const firstRunRequests = sim.served.length;
    expect((await runCli(['once', '--config', configFile], env)).code).toBe(0);
    // The windows that were still open to late data were asked for again.
    expect(sim.served.length - firstRunRequests).toBeGreaterThan(4);

    await stack.expectMatchesServed(() => 'late');
    const actual = await actualTraffic(influx, stack.db);
    // Every bucket from the lookback to the newest one Radar has, for every query.
    for (const [interval, step] of [
      ['15m', 900_000],
      ['1h', 3_600_000],
    ] as const) {
      for (const dimension of ['LOCATION', 'AS']) {
        const times = new Set(
          [...actual.points.keys()]
            .filter((k) => k.includes(`|${dimension}|`) && k.includes(`|${interval}|`))
            .map((k) => Number(k.split('|')[6])),
        );
        const newest = Math.ceil(horizon / step) * step - step;
        expect(Math.max(...times)).toBe(newest);
        const oldest = Math.min(...times);
        expect(oldest).toBeLessThanOrEqual(horizon - 3 * DAY);
        expect(times.size).toBe((newest - oldest) / step + 1);
      }
    }
  });
});
