import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { runCli, startCli, waitFor } from '../harness/cli.js';
import { SlowProxy } from '../harness/slowProxy.js';
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

  test('a hang, then healthy: SIGTERM ends run within the grace period, no socket left open (as on 1.x)', async () => {
    const proxy = await new SlowProxy(vm.url).start();
    try {
      // Writes are never answered (a hung InfluxDB): each times out, its connection left open by the proxy.
      proxy.inspect = (url) => !url.startsWith('/api/v2/write');
      const config = stack.writeConfig(`
radar: { retryDelayMs: 20 }
influx: { apiVersion: 2, timeoutMs: 500 }
service: { graceMs: 2000 }
jobs:
  - { name: v2, schedule: "*/2 * * * * *", dimensions: [PRODUCT], intervals: [1h], lookback: 2d }
`);
      const daemon = startCli(
        ['run', '--config', config],
        { ...env(), INFLUX_URL: proxy.url },
        { timeoutMs: 30_000 },
      );
      await waitFor('a write that timed out', () =>
        daemon.output().stderr.includes('keeping points in the spool'),
      );
      proxy.inspect = undefined;
      await waitFor('the spool replayed', () => daemon.output().stderr.includes('spool replayed'));
      daemon.child.kill('SIGTERM');
      const result = await daemon.exited;
      expect(result.stderr).toMatch(/stopped/);
      expect(result.code).toBe(0);
    } finally {
      await proxy.stop();
    }
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
