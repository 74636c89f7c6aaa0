import { afterEach, describe, expect, test } from '@jest/globals';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { BIN, runCli, startCli, waitFor } from '../harness/cli.js';
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
    // A full disk is a failure a restart may mend (1), never a mistake to fix (2: systemd's
    // RestartPreventExitStatus would keep the service down once the disk is freed).
    expect(full.code).toBe(1);
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
    await waitFor('a full spool', () => daemon.output().stderr.includes('spool full'));
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

describe('a state directory that lies: clear errors, the right exit codes, private files', () => {
  const stack = useStack('state_lies', { fixedHorizon: true });
  let volume: SmallVolume | undefined;
  afterEach(() => {
    volume?.unmount();
    volume = undefined;
  });
  const stateFile = () => join(stack.stateDir, 'state.json');
  const once = () => runCli(['once', '--config', stack.writeConfig(CONFIG)], stack.env());

  test('out of inodes is a failing disk (exit 1: worth retrying), not a mistake (2)', async () => {
    volume = new SmallVolume(stack.stateDir);
    const refused = volume.mount(1024, 1);
    if (refused) {
      console.warn(`skipped: ${refused}`);
      return;
    }
    const result = await once();
    expect(result.stderr).toMatch(/ENOSPC \(no space left on device\)/);
    expect(result.code).toBe(1);
  });

  test.each([4, 5, 6])(
    'out of inodes while the spool and the state are written (%i inodes): exit 1, never 2',
    async (inodes) => {
      volume = new SmallVolume(stack.stateDir);
      const refused = volume.mount(4096, inodes);
      if (refused) {
        console.warn(`skipped: ${refused}`);
        return;
      }
      stack.seedState(); // InfluxDB down is an outage to spool through
      await stack.influx.stop();
      try {
        const result = await once();
        expect(result.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
        expect(result.stderr).toMatch(/ENOSPC/);
        expect(result.code).toBe(1);
      } finally {
        await stack.influx.start();
      }
    },
  );

  test.each([
    [
      '"queries" that is not a mapping',
      '{"version":1,"queries":"x","backfills":{}}',
      /"queries" is "x", not a mapping/,
    ],
    [
      '"queries" that is a list',
      '{"version":1,"queries":[],"backfills":{}}',
      /"queries" is \[\], not a mapping/,
    ],
    [
      'a query state that is not a range',
      '{"version":1,"queries":{"disk/AS/1h":{"checkpointMs":"soon"}},"backfills":{}}',
      /the state of disk\/AS\/1h is not a range of times/,
    ],
    [
      'a checkpoint in 2100',
      `{"version":1,"queries":{"disk/AS/1h":{"finalFromMs":0,"checkpointMs":${Date.parse('2100-01-01')}}},"backfills":{}}`,
      /disk\/AS\/1h: checkpoint 2100-01-01T00:00:00Z in .*state\.json lies in the future/,
    ],
  ])(
    'state.json with %s: exit 2 naming the file and what is wrong, nothing fetched',
    async (_, text, message) => {
      mkdirSync(stack.stateDir, { recursive: true });
      writeFileSync(stateFile(), text);
      const result = await once();
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(/internal error|TypeError/);
      expect(stack.sim.served).toHaveLength(0);
    },
  );

  test('a STATE_DIR under /proc is refused at once (node alone would retry mkdir for ever)', async () => {
    const result = await runCli(
      ['once', '--config', stack.writeConfig(CONFIG)],
      stack.env({ STATE_DIR: '/proc/radar-netflows' }),
      {
        timeoutMs: 10_000,
      },
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/the state directory \/proc\/radar-netflows cannot be used: ENOENT/);
  });

  test('under umask 000 the state directory and the spool are private (0700), their files 0600', async () => {
    const fresh = join(stack.stateDir, 'fresh');
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(
        'sh',
        ['-c', `umask 000; exec "${process.execPath}" "${BIN}" once --config "${stack.writeConfig(CONFIG)}"`],
        { env: { PATH: process.env.PATH ?? '', ...stack.env({ STATE_DIR: fresh }) }, stdio: 'ignore' },
      );
      child.on('close', resolve);
    });
    expect(code).toBe(0);
    expect(statSync(fresh).mode & 0o777).toBe(0o700);
    expect(statSync(join(fresh, 'spool')).mode & 0o777).toBe(0o700);
    expect(statSync(join(fresh, 'state.json')).mode & 0o777).toBe(0o600);
  });
});
