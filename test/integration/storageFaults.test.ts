import { afterEach, describe, expect, test } from '@jest/globals';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startCli, waitFor } from '../harness/cli.js';
import { SmallVolume } from '../harness/smallVolume.js';
import { useStack } from '../harness/stack.js';

const CONFIG = `
radar: { retryDelayMs: 20 }
influx: { timeoutMs: 700 }
jobs:
  - name: disk
    dimensions: [LOCATION, AS]
    intervals: [1h]
    limitPerGroup: 10
    lookback: 7d
`;

describe('storage faults: a full disk loses no point', () => {
  const stack = useStack('storage_faults', { fixedHorizon: true });
  const { influx } = stack;
  let volume: SmallVolume | undefined;

  afterEach(() => {
    volume?.unmount();
    volume = undefined;
  });

  test('the spool on a full volume: windows stay un-checkpointed, and nothing is missing once space and InfluxDB return', async () => {
    volume = new SmallVolume(join(stack.stateDir, 'spool'));
    const refused = volume.mount(200);
    if (refused) {
      console.warn(`skipped: ${refused}`);
      return;
    }
    const configFile = stack.writeConfig(CONFIG);
    stack.seedState(); // InfluxDB down is an outage to spool through, not a first run's wrong URL
    await influx.stop();
    const full = await runCli(['once', '--config', configFile], stack.env());
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/ENOSPC/);
    expect(full.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
    // No partial line may be left for replay: every segment ends with a whole line.
    volume.resize(20_000);
    await influx.start();
    const after = await runCli(['once', '--config', configFile], stack.env());
    expect(after.stderr).not.toMatch(/internal error/);
    expect(after.code).toBe(0);
    await stack.expectMatchesServed(() => 'disk');
  });

  test('state.json on a full volume: a clear error, and no temp file left behind', async () => {
    volume = new SmallVolume(stack.stateDir);
    const refused = volume.mount(200);
    if (refused) {
      console.warn(`skipped: ${refused}`);
      return;
    }
    const configFile = stack.writeConfig(CONFIG);
    stack.seedState(); // InfluxDB down is an outage to spool through, not a first run's wrong URL
    await influx.stop();
    const full = await runCli(['once', '--config', configFile], stack.env());
    expect([1, 2]).toContain(full.code);
    expect(full.stderr).toMatch(/ENOSPC/);
    expect(full.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
    expect(readdirSync(stack.stateDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    volume.resize(20_000);
    await influx.start();
    const after = await runCli(['once', '--config', configFile], stack.env());
    expect(after.code).toBe(0);
    expect(existsSync(join(stack.stateDir, 'state.json'))).toBe(true);
    await stack.expectMatchesServed(() => 'disk');
  });
});

const FULL_SPOOL_CONFIG = `
radar: { retryDelayMs: 20 }
influx: { timeoutMs: 700 }
state: { spoolMaxMB: 1 }
service: { graceMs: 2000 }
jobs:
  - name: full
    schedule: "*/2 * * * * *"
    dimensions: [LOCATION, AS]
    intervals: [15m]
    limitPerGroup: 10
    lookback: 14d
`;

describe('a full spool with InfluxDB down', () => {
  const stack = useStack('full_spool', { fixedHorizon: true });
  const { influx } = stack;

  test('once stops fetching, waits a bounded time, exits 3 saying what waits; nothing is lost', async () => {
    const configFile = stack.writeConfig(FULL_SPOOL_CONFIG);
    stack.seedState();
    await influx.stop();
    const startedMs = Date.now();
    const full = await runCli(['once', '--config', configFile], stack.env(), { timeoutMs: 60_000 });
    expect(full.code).toBe(3);
    expect(Date.now() - startedMs).toBeLessThan(30_000);
    expect(full.stderr).toMatch(/the spool is full/);
    expect(full.stderr).toMatch(/bytes wait in .*spool and are written first by the next run/);
    await influx.start();
    const after = await runCli(['once', '--config', configFile], stack.env());
    expect(after.code).toBe(0);
    await stack.expectMatchesServed(() => 'full');
  });

  test('SIGTERM ends run within the grace period, however full the spool is', async () => {
    const configFile = stack.writeConfig(FULL_SPOOL_CONFIG);
    await influx.stop();
    const daemon = startCli(['run', '--config', configFile], stack.env());
    await waitFor('a full spool', () => daemon.output().stderr.includes('spool full'), 30_000);
    const stoppedAt = Date.now();
    daemon.child.kill('SIGTERM');
    const result = await daemon.exited;
    expect(result.code).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(2000 + 1500);
    await influx.start();
    expect((await runCli(['once', '--config', configFile], stack.env())).code).toBe(0);
    await stack.expectMatchesServed(() => 'full');
  });
});
