import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { runCli, startCli, waitFor } from '../harness/cli.js';
import { useStack } from '../harness/stack.js';

// 7-day windows for 1h data (the default is 28 days): a year's backfill is 53 slow requests, time
// enough for run to start while it holds the directory.
const CONFIG = `
radar: { retryDelayMs: 20 }
service: { graceMs: 3000 }
windows: { 1h: 7d }
jobs:
  - name: lock
    schedule: "*/2 * * * * *"
    dimensions: [PRODUCT]
    intervals: [1h]
    lookback: 2d
`;

describe('one process per state directory', () => {
  const stack = useStack('state_lock', { fixedHorizon: true });
  const { sim } = stack;

  test('while run holds it, once and backfill exit 2 naming the holder; --dry-run needs no lock', async () => {
    const configFile = stack.writeConfig(CONFIG);
    const daemon = startCli(['run', '--config', configFile], stack.env());
    await waitFor('a first run', () => sim.served.length >= 1);
    for (const args of [['once'], ['backfill', '--from', '3d']]) {
      const second = await runCli([...args, '--config', configFile], stack.env());
      expect(second.code).toBe(2);
      expect(second.stderr).toContain(`in use by "run" (pid ${daemon.child.pid} on ${hostname()}`);
      expect(second.stderr).not.toMatch(/internal error/);
    }
    const dry = await runCli(['once', '--dry-run', '--config', configFile], stack.env());
    expect(dry.code).toBe(0);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
    expect((await runCli(['once', '--config', configFile], stack.env())).code).toBe(0);
    await stack.expectMatchesServed(() => 'lock');
  });

  test('a lock left by a process that is gone is taken over', async () => {
    const configFile = stack.writeConfig(CONFIG);
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    mkdirSync(stack.stateDir, { recursive: true });
    writeFileSync(
      join(stack.stateDir, 'lock'),
      JSON.stringify({ pid: Number(gone.stdout.toString()), host: hostname(), command: 'once', sinceMs: 1 }),
    );
    const result = await runCli(['once', '--config', configFile], stack.env());
    expect(result.stderr).not.toMatch(/in use by/);
    expect(result.code).toBe(0);
  });

  test('run started while a backfill holds the directory waits for it, then goes on', async () => {
    const configFile = stack.writeConfig(CONFIG);
    sim.responseDelayMs = 400;
    const backfill = startCli(['backfill', '--from', '365d', '--config', configFile], stack.env());
    await waitFor('the backfill under way', () => sim.served.length >= 1);
    const daemon = startCli(['run', '--config', configFile], stack.env());
    await waitFor('run waiting', () => daemon.output().stderr.includes('waiting for it to finish'), 10_000);
    expect((await backfill.exited).code).toBe(0);
    const servedByBackfill = sim.served.length;
    sim.responseDelayMs = 0;
    await waitFor('run fetching', () => sim.served.length > servedByBackfill, 20_000);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
    await stack.expectMatchesServed(() => 'lock');
  });
});
