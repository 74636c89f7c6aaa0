import { afterEach, describe, expect, test } from '@jest/globals';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../harness/cli.js';
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
