import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, startCli, waitFor } from '../harness/cli.js';
import { actualTraffic, compare, expectedFromServed } from '../harness/groundTruth.js';
import { Influxd } from '../harness/influxd.js';
import { RadarSimulator } from '../harness/radarSimulator.js';
import { SlowProxy } from '../harness/slowProxy.js';

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
  const influx = new Influxd();
  const sim = new RadarSimulator();
  const dir = mkdtempSync(join(tmpdir(), 'influx-faults-'));
  const configFile = join(dir, 'jobs.yaml');
  let n = 0;
  const stateDir = () => join(dir, `state${n}`);
  const env = (url = influx.url) => ({ CLOUDFLARE_API_TOKEN: sim.token, RADAR_API_URL: sim.url, INFLUX_URL: url, INFLUX_DATABASE: `i${n}`, STATE_DIR: stateDir(), HTTP_LISTEN: 'off' });
  const expectEqualToServed = async () => {
    expect(compare(expectedFromServed(sim.served, () => 'db'), await actualTraffic(influx, `i${n}`))).toEqual({ lost: [], unexpected: [], wrong: [], duplicates: 0 });
  };
  const spoolFiles = () => (existsSync(join(stateDir(), 'spool')) ? readdirSync(join(stateDir(), 'spool')) : []);

  beforeAll(async () => {
    await Promise.all([influx.start(), sim.start()]);
    const horizon = Math.floor(Date.now() / 900_000) * 900_000;
    sim.dataUntilMs = () => horizon;
    writeFileSync(configFile, CONFIG);
  });
  beforeEach(() => {
    n++;
    sim.served.length = 0;
  });
  afterAll(async () => {
    await Promise.all([influx.destroy(), sim.stop()]);
  });

  test('down at start: points wait in the spool (exit 3), and the next run writes them first', async () => {
    await influx.stop();
    const first = await runCli(['once', '--config', configFile], env());
    expect(first.code).toBe(3);
    expect(first.stderr).toMatch(/InfluxDB did not take every point; \d+ bytes wait in/);
    expect(spoolFiles().length).toBeGreaterThan(0);
    const servedWhileDown = sim.served.length;

    await influx.start();
    const second = await runCli(['once', '--config', configFile], env());
    expect(second.code).toBe(0);
    expect(sim.served.length).toBeGreaterThan(servedWhileDown);
    await expectEqualToServed();
    expect(spoolFiles().every((f) => readFileSync(join(stateDir(), 'spool', f)).length === 0)).toBe(true);
  });

  test('killed mid-run and restarted: the service spools, then replays in order', async () => {
    const daemon = startCli(['run', '--config', configFile], env());
    await waitFor('a first run', () => sim.served.length >= 2);
    await influx.stop('SIGKILL');
    const servedBefore = sim.served.length;
    await waitFor('runs while InfluxDB is down', () => sim.served.length >= servedBefore + 4, 20_000);
    await waitFor('a spooled write', () => daemon.output().stderr.includes('InfluxDB still cannot take writes'), 20_000);
    await influx.start();
    await waitFor('the spool replayed', () => daemon.output().stderr.includes('spool replayed'), 30_000);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
    await expectEqualToServed();
  });

  test('kill -9 while points wait in the spool: the next start writes them', async () => {
    await influx.stop();
    const daemon = startCli(['run', '--config', configFile], env());
    await waitFor('points in the spool', () => spoolFiles().length > 0 && daemon.output().stderr.includes('InfluxDB still cannot take writes'), 20_000);
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
    await influx.query(`CREATE DATABASE i${n}`);
    const res = await fetch(`${influx.url}/write?db=i${n}&precision=ms`, { method: 'POST', body: `radar_fetches,job=x points="text" ${Date.now() - 60_000}` });
    expect(res.status).toBe(204);
    const result = await runCli(['once', '--config', configFile], env());
    expect(result.code).toBe(0);
    await expectEqualToServed();
    const letters = readFileSync(join(stateDir(), 'dead-letters.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { reason: string; line: string });
    expect(letters).toHaveLength(sim.served.length);
    for (const letter of letters) {
      expect(letter.line).toMatch(/^radar_fetches,/);
      expect(letter.reason).toMatch(/field type conflict/);
    }
  });
});

