import { describe, expect, test } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, uptime } from 'node:os';
import { join } from 'node:path';
import { runCli, startCli, waitFor } from '../harness/cli.js';
import { useStack } from '../harness/stack.js';
import { freePort } from '../harness/influxd.js';

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

  test.each([
    ['a pid now used by another process', { startTicks: 1 }],
    ['a pid from before a reboot', { bootId: '00000000-0000-0000-0000-000000000000' }],
    // An earlier release's lock has neither: its time, before this boot, says it is stale.
    [
      'an earlier release’s lock taken before this boot',
      { bootId: undefined, sinceMs: Date.now() - uptime() * 1000 - 3_600_000 },
    ],
  ])('a lock whose holder is gone is taken over: %s', async (_, stamp) => {
    const configFile = stack.writeConfig(CONFIG);
    // A live process holds the pid now: only the boot id and the start time tell it is another one.
    const other = spawn('sleep', ['30']);
    try {
      const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
      mkdirSync(stack.stateDir, { recursive: true });
      writeFileSync(
        join(stack.stateDir, 'lock'),
        JSON.stringify({ pid: other.pid, host: hostname(), command: 'once', sinceMs: 1, bootId, ...stamp }),
      );
      const result = await runCli(['once', '--config', configFile], stack.env());
      expect(result.stderr).not.toMatch(/in use by/);
      expect(result.code).toBe(0);
    } finally {
      other.kill();
    }
  });

  test('a state directory removed under run: run stops writing there (exit 1), and once gets in alone', async () => {
    const configFile = stack.writeConfig(CONFIG);
    const daemon = startCli(['run', '--config', configFile], stack.env());
    await waitFor(
      'a first run',
      () => existsSync(join(stack.stateDir, 'state.json')) && sim.served.length >= 1,
    );
    // The service may be adding a file as it goes (ENOTEMPTY): rm tries again, as an operator would,
    // until it is gone (a fixed number of tries ran out on a loaded machine); a service that never
    // stopped writing there would keep it from going, and fail the test.
    await waitFor('the state directory removed', () => {
      try {
        rmSync(stack.stateDir, { recursive: true, force: true });
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOTEMPTY') return false;
        throw error;
      }
    });
    const once = await runCli(['once', '--config', configFile], stack.env());
    expect(once.code).toBe(0);
    const writtenByOnce = readFileSync(join(stack.stateDir, 'state.json'), 'utf8');
    const result = await daemon.exited;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /the state directory .* cannot be used any more: .*(is gone|now names "once")/,
    );
    // run wrote nothing into the directory once made.
    expect(readFileSync(join(stack.stateDir, 'state.json'), 'utf8')).toBe(writtenByOnce);
  });

  test('run started while a backfill holds the directory waits for it, answering /healthz, then goes on', async () => {
    const configFile = stack.writeConfig(CONFIG);
    sim.responseDelayMs = 400;
    const backfill = startCli(['backfill', '--from', '365d', '--config', configFile], stack.env());
    await waitFor('the backfill under way', () => sim.served.length >= 1);
    const port = await freePort();
    const daemon = startCli(['run', '--config', configFile], stack.env({ HTTP_LISTEN: `127.0.0.1:${port}` }));
    await waitFor('run waiting', () => daemon.output().stderr.includes('waiting for it to finish'));
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(503);
    const checks = ((await ready.json()) as { checks: { state: string } }).checks;
    expect(checks.state).toMatch(/^waiting for the state lock held by "backfill" \(pid \d+ on /);
    expect((await backfill.exited).code).toBe(0);
    const servedByBackfill = sim.served.length;
    sim.responseDelayMs = 0;
    await waitFor('run fetching', () => sim.served.length > servedByBackfill);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
    await stack.expectMatchesServed(() => 'lock');
  });
});
