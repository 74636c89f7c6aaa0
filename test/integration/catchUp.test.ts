import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../harness/cli.js';
import { actualTraffic, compare, expectedFromServed } from '../harness/groundTruth.js';
import { Influxd } from '../harness/influxd.js';
import { RadarSimulator } from '../harness/radarSimulator.js';

const DAY = 86_400_000;
const CONFIG = `
radar: { retryDelayMs: 20 }
jobs:
  - name: late
    dimensions: [LOCATION, AS]
    intervals: [15m, 1h]
    limitPerGroup: 4
    lookback: 3d
`;

describe('catch-up after late data', () => {
  const influx = new Influxd();
  const sim = new RadarSimulator();
  const dir = mkdtempSync(join(tmpdir(), 'catchup-'));
  const configFile = join(dir, 'jobs.yaml');
  let env: Record<string, string>;

  beforeAll(async () => {
    await Promise.all([influx.start(), sim.start()]);
    writeFileSync(configFile, CONFIG);
    env = { CLOUDFLARE_API_TOKEN: sim.token, RADAR_API_URL: sim.url, INFLUX_URL: influx.url, INFLUX_DATABASE: 'late', STATE_DIR: join(dir, 'state') };
  });
  afterAll(async () => {
    await Promise.all([influx.destroy(), sim.stop()]);
  });

  test('data a day late is fetched again until final; InfluxDB then equals the API and reaches the newest bucket', async () => {
    const horizon = Math.floor(Date.now() / 900_000) * 900_000;
    sim.dataUntilMs = () => horizon - DAY;
    expect((await runCli(['once', '--config', configFile], env)).code).toBe(0);
    const state = JSON.parse(readFileSync(join(dir, 'state', 'state.json'), 'utf8')) as { queries: Record<string, { checkpointMs: number }> };
    for (const query of Object.values(state.queries)) expect(query.checkpointMs).toBeLessThanOrEqual(horizon - DAY);

    sim.dataUntilMs = () => horizon;
    const firstRunRequests = sim.served.length;
    expect((await runCli(['once', '--config', configFile], env)).code).toBe(0);
    // The windows that were still open to late data were asked for again.
    expect(sim.served.length - firstRunRequests).toBeGreaterThan(4);

    const actual = await actualTraffic(influx, 'late');
    expect(compare(expectedFromServed(sim.served, () => 'late'), actual)).toEqual({ lost: [], unexpected: [], wrong: [], duplicates: 0 });
    // Every bucket from the lookback to the newest one Radar has, for every query.
    for (const [interval, step] of [['15m', 900_000], ['1h', 3_600_000]] as const) {
      for (const dimension of ['LOCATION', 'AS']) {
        const times = new Set([...actual.points.keys()].filter((k) => k.includes(`|${dimension}|`) && k.includes(`|${interval}|`)).map((k) => Number(k.split('|')[6])));
        const newest = Math.ceil(horizon / step) * step - step;
        expect(Math.max(...times)).toBe(newest);
        const oldest = Math.min(...times);
        expect(oldest).toBeLessThanOrEqual(horizon - 3 * DAY);
        expect(times.size).toBe((newest - oldest) / step + 1);
      }
    }
  });
});
