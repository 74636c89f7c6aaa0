import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { BIN, ROOT, runCli } from '../harness/cli.js';
import { SlowProxy } from '../harness/slowProxy.js';
import { useStack } from '../harness/stack.js';

/** Reports the child's peak RSS on stderr as it exits. */
const PEAK_RSS = `--import=data:text/javascript,${encodeURIComponent(
  "process.on('exit',()=>process.stderr.write('peak-rss-kb '+process.resourceUsage().maxRSS+'\\n'))",
)}`;

const CONFIG = `
radar: { retryDelayMs: 20, rateLimit: 100000 }
jobs:
  - name: dry
    dimensions: [LOCATION]
    intervals: [15m]
`;

describe('--dry-run prints what a real write sends, at the pace of its reader', () => {
  const stack = useStack('dry_run', { fixedHorizon: true });
  let proxy: SlowProxy;
  beforeAll(async () => {
    proxy = await new SlowProxy(stack.influx.url).start();
  });
  afterAll(() => proxy.stop());

  test('a year into a reader that waits 5 s, then takes one byte and leaves: memory stays flat', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'backfill', '--dry-run', '--from', '365d', '--config', stack.writeConfig(CONFIG)],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...stack.env(), NODE_OPTIONS: PEAK_RSS } },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdout.pause();
    await new Promise((r) => setTimeout(r, 5000));
    // The year is 35,040 buckets × 20 groups: by now a reader that read nothing holds it all back.
    expect(stack.sim.served.length).toBeLessThan(53);
    child.stdout.once('readable', () => {
      child.stdout.read(1);
      child.stdout.destroy();
    });
    child.stdout.resume();
    expect(await exited).toBe(0);
    const peakKb = Number(/peak-rss-kb (\d+)/.exec(stderr)?.[1]);
    expect(peakKb).toBeGreaterThan(0);
    expect(peakKb).toBeLessThan(200 * 1024);
  });

  test('the traffic it prints is, byte for byte, the traffic a real write posts', async () => {
    const configFile = stack.writeConfig(CONFIG.replace('[15m]', '[1h]'));
    const dry = await runCli(['once', '--dry-run', '--config', configFile], stack.env());
    expect(dry.code).toBe(0);
    await stack.influx.query(`CREATE DATABASE ${stack.db}`); // else the first body goes twice: before and after it is made
    proxy.keepBodies = true;
    const real = await runCli(['once', '--config', configFile], stack.env({ INFLUX_URL: proxy.url }));
    proxy.keepBodies = false;
    expect(real.code).toBe(0);
    const traffic = (text: string) => text.split('\n').filter((line) => line.startsWith('radar_netflows,'));
    const printed = traffic(dry.stdout);
    const posted = proxy.bodies.flatMap((body) => traffic(body.toString('utf8')));
    expect(printed.length).toBeGreaterThan(1000);
    expect(posted).toEqual(printed);
  });
});
