import { afterEach, describe, expect, test } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startCli, waitFor } from '../harness/cli.js';
import { SlowProxy } from '../harness/slowProxy.js';
import { actualTraffic } from '../harness/groundTruth.js';
import { useStack } from '../harness/stack.js';

const WEEK = 7 * 86_400_000;
const FROM = '2025-06-01T05:00:00Z';
const TO = '2026-06-01T05:00:00Z';
// 7-day windows for 1h data (the default is 28 days): enough windows in a year to kill a backfill halfway.
const CONFIG = `
radar: { retryDelayMs: 20 }
windows: { 1h: 7d }
jobs:
  - name: year
    dimensions: [AS]
    intervals: [1h]
    limitPerGroup: 5
  - name: other
    dimensions: [LOCATION]
    intervals: [1h]
`;

describe('backfill', () => {
  const stack = useStack('bf');
  const { sim } = stack;
  /** The backfill command line for the "year" job, over [from, to). */
  const backfill = (from = FROM, to = TO): string[] => [
    'backfill',
    '--config',
    stack.writeConfig(CONFIG),
    '--job',
    'year',
    '--from',
    from,
    '--to',
    to,
  ];
  const args = () => backfill();
  let proxy: SlowProxy | undefined;
  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
  });

  // InfluxDB is asked through a proxy that counts the DELETE statements: a backfill whose answers drop
  // no group deletes nothing. A DELETE after every first fetch of a window (the `!=` form) matched the
  // neighbouring windows' groups in influxd 1.6.7's shards, and CI once saw points vanish after one.
  test('a year at 1h takes one request per grid window, resumes after kill -9 without refetching, and deletes nothing', async () => {
    const gridWindows = Math.ceil(Date.parse(TO) / WEEK) - Math.floor(Date.parse(FROM) / WEEK);
    expect([53, 54]).toContain(gridWindows);

    proxy = await new SlowProxy(stack.influx.url).start();
    const { statements } = proxy;
    const env = stack.env({ INFLUX_URL: proxy.url });
    sim.responseDelayMs = 40;
    const first = startCli(args(), env);
    await waitFor('half the windows', () => sim.served.length >= 25);
    first.child.kill('SIGKILL');
    await first.exited;
    sim.responseDelayMs = 0;
    const askedBeforeKill = sim.served.length;
    const state = JSON.parse(readFileSync(join(stack.stateDir, 'state.json'), 'utf8')) as {
      backfills: Record<string, { nextMs: number }>;
    };
    const finishedUntil = state.backfills['year/AS/1h']!.nextMs;
    expect(finishedUntil).toBeGreaterThan(Date.parse(FROM));

    const second = await runCli(args(), env);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/already done/);
    expect(second.stderr).toMatch(/backfill: \d+\/\d+ windows \(100%\)/);

    const windowsAsked = sim.served.map((s) => s.params.dateStart![0]!);
    expect(new Set(windowsAsked).size).toBe(gridWindows);
    // The restart asked for no window that had finished before the kill; only those in flight then (at most radar.concurrency) twice.
    expect(
      sim.served.slice(askedBeforeKill).every((s) => Date.parse(s.params.dateStart![0]!) >= finishedUntil),
    ).toBe(true);
    expect(windowsAsked.length - gridWindows).toBeLessThanOrEqual(4);
    expect(sim.served.every((s) => s.dimension === 'AS')).toBe(true);

    expect((await actualTraffic(stack.influx, stack.db)).rows).toBeGreaterThan(365 * 24 * 5);
    await stack.expectMatchesServed(() => 'year');

    // The same backfill again finds nothing left to do.
    const again = await runCli(args(), env);
    expect(again.code).toBe(0);
    expect(sim.served.length).toBe(windowsAsked.length);
    // Every window was looked at before its removal (one SELECT each), and none held a group to delete.
    expect(statements.filter((s) => s === 'DELETE')).toEqual([]);
    expect(statements.filter((s) => s === 'SELECT').length).toBeGreaterThanOrEqual(gridWindows);
  });

  test('--from 365d resumes after kill -9 (the age moved on), and leaves no cursor behind', async () => {
    const env = stack.env();
    const ageArgs = backfill('365d', 'now');
    sim.responseDelayMs = 40;
    const first = startCli(ageArgs, env);
    await waitFor('half the windows', () => sim.served.length >= 25);
    first.child.kill('SIGKILL');
    await first.exited;
    sim.responseDelayMs = 0;
    const askedBeforeKill = sim.served.length;
    const stateFile = join(stack.stateDir, 'state.json');
    const before = JSON.parse(readFileSync(stateFile, 'utf8')) as {
      backfills: Record<string, { nextMs: number }>;
    };
    const finishedUntil = before.backfills['year/AS/1h']!.nextMs;

    await new Promise((r) => setTimeout(r, 1100)); // "365d ago" is now another instant
    const second = await runCli(ageArgs, env);
    expect(second.code).toBe(0);
    expect(
      sim.served.slice(askedBeforeKill).every((s) => Date.parse(s.params.dateStart![0]!) >= finishedUntil),
    ).toBe(true);
    const asked = sim.served.map((s) => s.params.dateStart![0]!);
    expect(asked.length - new Set(asked).size).toBeLessThanOrEqual(4);
    const after = JSON.parse(readFileSync(stateFile, 'utf8')) as { backfills: Record<string, unknown> };
    expect(after.backfills).toEqual({});
    await stack.expectMatchesServed(() => 'year');
  });

  test('a backfill that ends now extends the final range: the same command again asks only the open window', async () => {
    const env = stack.env();
    const first = await runCli(backfill('30d', 'now'), env);
    expect(first.code).toBe(0);
    const askedFirst = sim.served.length;
    expect(askedFirst).toBeGreaterThanOrEqual(5);
    const again = await runCli(backfill('30d', 'now'), env);
    expect(again.code).toBe(0);
    expect(sim.served.length - askedFirst).toBe(1);
    const open = sim.served.at(-1)!;
    expect(Date.parse(open.params.dateEnd![0]!)).toBeGreaterThan(Date.now() - 86_400_000);
    await stack.expectMatchesServed(() => 'year');
  });

  test('--dry-run prints every window as line protocol and leaves neither data nor state', async () => {
    const month = [...backfill('2026-05-01T00:00:00Z'), '--dry-run'];
    const result = await runCli(month, stack.env());
    expect(result.code).toBe(0);
    const traffic = result.stdout.split('\n').filter((line) => line.startsWith('radar_netflows,'));
    expect(traffic.length).toBeGreaterThan(31 * 24 * 5);
    expect(new Set(sim.served.map((s) => s.params.dateStart![0])).size).toBe(sim.served.length);
    expect(existsSync(stack.stateDir)).toBe(false);
    expect((await stack.influx.query('SHOW DATABASES')).map((d) => d.name)).not.toContain(stack.db);
  });

  test('bad arguments are clear usage errors', async () => {
    const configFile = stack.writeConfig(CONFIG);
    const env = stack.env();
    const noFrom = await runCli(['backfill', '--config', configFile], env);
    expect(noFrom).toMatchObject({ code: 2 });
    expect(noFrom.stderr).toContain('backfill needs --from');
    const badDate = await runCli(['backfill', '--config', configFile, '--from', 'last tuesday'], env);
    expect(badDate.stderr).toContain('--from "last tuesday" is not a time');
    const badInterval = await runCli(
      ['backfill', '--config', configFile, '--from', '7d', '--interval', '5m'],
      env,
    );
    expect(badInterval.stderr).toContain('--interval "5m" matches no query; the config has 1h');
  });
});
