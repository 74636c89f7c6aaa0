import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { runCli } from '../harness/cli.js';
import { compare, expectedFromServed } from '../harness/groundTruth.js';
import { useStack } from '../harness/stack.js';
import { VictoriaMetrics } from '../harness/victoria.js';

/** VictoriaMetrics' /ping names no InfluxDB version, so the API is declared. */
const CONFIG = `
radar: { retryDelayMs: 20 }
influx: { apiVersion: 2, timeoutMs: 700 }
jobs:
  - name: v2
    dimensions: [LOCATION, PRODUCT]
    intervals: [1h]
    limitPerGroup: 5
    lookback: 2d
`;

describe('the InfluxDB 2.x/3.x write path against a real /api/v2/write (VictoriaMetrics)', () => {
  const stack = useStack('v2_write', { fixedHorizon: true });
  const vm = new VictoriaMetrics();
  const env = () =>
    stack.env({
      INFLUX_URL: vm.url,
      INFLUX_ORG: 'radar',
      INFLUX_BUCKET: 'radar',
      INFLUX_TOKEN: 'v2-token-1234',
    });
  const expectMatchesServed = async () => {
    const expected = expectedFromServed(stack.sim.served, () => 'v2');
    expect(expected.size).toBeGreaterThan(0);
    expect(compare(expected, await vm.traffic())).toEqual({
      lost: [],
      unexpected: [],
      wrong: [],
      duplicates: 0,
    });
  };

  beforeAll(async () => {
    await vm.start();
  });
  afterAll(async () => {
    await vm.destroy();
  });

  test('once writes exactly the points Radar served', async () => {
    const result = await runCli(['once', '--config', stack.writeConfig(CONFIG)], env());
    expect(result.stderr).not.toMatch(/"level":"(error|warn)"/);
    expect(result.code).toBe(0);
    await expectMatchesServed();
  });

  test('down: points wait in the spool (exit 3), and the next run replays them first', async () => {
    const configFile = stack.writeConfig(CONFIG);
    stack.seedState();
    await vm.stop();
    const down = await runCli(['once', '--config', configFile], env());
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/bytes wait in .*spool/);
    await vm.start();
    const up = await runCli(['once', '--config', configFile], env());
    expect(up.code).toBe(0);
    await expectMatchesServed();
  });
});
