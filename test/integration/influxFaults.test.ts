import { beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startCli, waitFor } from '../harness/cli.js';
import { SlowProxy } from '../harness/slowProxy.js';
import { useStack } from '../harness/stack.js';

const CONFIG = `
radar: { retryDelayMs: 20 }
influx: { timeoutMs: 700 }
jobs:
  - name: db
    schedule: "*/2 * * * * *"
    dimensions: [LOCATION, AS]
    intervals: [1h]
    limitPerGroup: 4
    lookback: 2d
`;

describe('InfluxDB faults: nothing lost, nothing duplicated', () => {
  const stack = useStack('influx_faults', { fixedHorizon: true });
  const { influx, sim } = stack;
  let configFile = '';
  const env = (url = influx.url) => stack.env({ INFLUX_URL: url });
  const expectEqualToServed = () => stack.expectMatchesServed(() => 'db');
  const spoolFiles = () =>
    existsSync(join(stack.stateDir, 'spool')) ? readdirSync(join(stack.stateDir, 'spool')) : [];

  beforeAll(() => {
    configFile = stack.writeConfig(CONFIG);
  });

  test('nothing listening at INFLUX_URL on a first run is a setting to fix: exit 2 at once, nothing fetched or spooled', async () => {
    await influx.stop();
    const first = await runCli(['once', '--config', configFile], env());
    await influx.start();
    expect(first.code).toBe(2);
    expect(first.stderr).toMatch(
      /error: InfluxDB at http:\/\/127\.0\.0\.1:\d+ did not answer \/ping \(ECONNREFUSED: nothing listens there\): if InfluxDB should be up, check INFLUX_URL, or start InfluxDB first/,
    );
    expect(sim.served).toHaveLength(0);
    expect(spoolFiles()).toEqual([]);
  });

  test('down at start, after the state directory has written: points wait in the spool (exit 3), and the next run writes them first', async () => {
    // A state directory that has written before: InfluxDB not answering now is an outage.
    expect((await runCli(['once', '--config', configFile, '--dimension', 'AS'], env())).code).toBe(0);
    await influx.stop();
    const first = await runCli(['once', '--config', configFile], env());
    expect(first.code).toBe(3);
    expect(first.stderr).toMatch(/InfluxDB did not take every point \(.*ECONNREFUSED.*\); \d+ bytes wait in/);
    expect(spoolFiles().length).toBeGreaterThan(0);
    const servedWhileDown = sim.served.length;

    await influx.start();
    const second = await runCli(['once', '--config', configFile], env());
    expect(second.code).toBe(0);
    expect(sim.served.length).toBeGreaterThan(servedWhileDown);
    await expectEqualToServed();
    expect(spoolFiles().every((f) => readFileSync(join(stack.stateDir, 'spool', f)).length === 0)).toBe(true);
  });

  test('killed mid-run and restarted: the service spools, then replays in order', async () => {
    const daemon = startCli(['run', '--config', configFile], env());
    await waitFor('a first run', () => sim.served.length >= 2);
    await influx.stop('SIGKILL');
    const servedBefore = sim.served.length;
    await waitFor('runs while InfluxDB is down', () => sim.served.length >= servedBefore + 4);
    await waitFor('a spooled write', () =>
      daemon.output().stderr.includes('InfluxDB still cannot take writes'),
    );
    await influx.start();
    await waitFor('the spool replayed', () => daemon.output().stderr.includes('spool replayed'));
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
    await expectEqualToServed();
  });

  test('kill -9 while points wait in the spool: the next start writes them', async () => {
    await influx.stop();
    const daemon = startCli(['run', '--config', configFile], env());
    await waitFor(
      'points in the spool',
      () => spoolFiles().length > 0 && daemon.output().stderr.includes('InfluxDB still cannot take writes'),
    );
    daemon.child.kill('SIGKILL');
    await daemon.exited;
    await influx.start();
    expect((await runCli(['once', '--config', configFile], env())).code).toBe(0);
    await expectEqualToServed();
  });

  test('slower than the timeout: writes are spooled and replayed once it is quick again', async () => {
    const proxy = await new SlowProxy(influx.url).start();
    proxy.delayMs = 1500;
    const slow = await runCli(['once', '--config', configFile], env(proxy.url));
    expect(slow.code).toBe(3);
    proxy.delayMs = 0;
    const quick = await runCli(['once', '--config', configFile], env(proxy.url));
    expect(quick.code).toBe(0);
    await proxy.stop();
    await expectEqualToServed();
  });

  test('a field type conflict sends exactly the refused points to the dead-letter file, with the reason', async () => {
    // radar_fetches.points is an integer field; a string in the current shard makes every new fetch record conflict.
    await influx.query(`CREATE DATABASE ${stack.db}`);
    const res = await fetch(`${influx.url}/write?db=${stack.db}&precision=ms`, {
      method: 'POST',
      body: `radar_fetches,job=x points="text" ${Date.now() - 60_000}`,
    });
    expect(res.status).toBe(204);
    const result = await runCli(['once', '--config', configFile], env());
    expect(result.code).toBe(0);
    await expectEqualToServed();
    const letters = readFileSync(join(stack.stateDir, 'dead-letters.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { reason: string; line: string });
    expect(letters).toHaveLength(sim.served.length);
    for (const letter of letters) {
      expect(letter.line).toMatch(/^radar_fetches,/);
      expect(letter.reason).toMatch(/field type conflict/);
    }
  });
});
