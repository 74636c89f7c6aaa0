import { describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runCli, startCli, waitFor } from '../harness/cli.js';
import { useStack } from '../harness/stack.js';

const job = (name: string, dimension: string) => `
radar: { retryDelayMs: 20 }
jobs:
  - name: ${name}
    schedule: "*/2 * * * * *"
    dimensions: [${dimension}]
    intervals: [1h]
    lookback: 2d
`;

describe('what an operator does to a running service', () => {
  const stack = useStack('operator', { fixedHorizon: true });
  const { sim } = stack;

  test('SIGHUP reloads jobs.yaml; a file with a mistake keeps the running jobs, saying why', async () => {
    const file = stack.writeConfig(job('first', 'PRODUCT'));
    const daemon = startCli(['run', '--config', file], stack.env());
    await waitFor('the first job', () => sim.served.some((s) => s.dimension === 'PRODUCT'));
    stack.writeConfig(job('first', 'PRODUCT') + '  - { name: second, dimensions: [AS], intervals: [1h] }\n');
    daemon.child.kill('SIGHUP');
    await waitFor('the added job', () => sim.served.some((s) => s.dimension === 'AS'));
    expect(daemon.output().stderr).toMatch(/SIGHUP: .*jobs\.yaml reloaded: 2 queries/);

    stack.writeConfig(job('first', 'CITY'));
    daemon.child.kill('SIGHUP');
    await waitFor('the refusal', () =>
      daemon.output().stderr.includes('not reloaded, the running jobs go on'),
    );
    expect(daemon.output().stderr).toMatch(/jobs\[0\]\.dimensions\[0\]: \\"CITY\\" is not allowed/);
    const before = sim.served.filter((s) => s.dimension === 'PRODUCT').length;
    await waitFor(
      'the running jobs going on',
      () => sim.served.filter((s) => s.dimension === 'PRODUCT').length > before,
    );
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  });

  test.each([['once'], ['backfill', '--from', '2d']])(
    '%s under a throttle pause says it is paused, until when and why, instead of freezing',
    async (...command) => {
      sim.inject({ kind: 'status', status: 429, code: 1015, retryAfterSec: 3 });
      const result = await runCli(
        [...command, '--config', stack.writeConfig(job('paused', 'PRODUCT'))],
        stack.env(),
      );
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(
        /windows \(\d+%\), \d+ points, ETA \d+s; paused until \d\d:\d\d:\d\d UTC: Radar throttled the requests \(429\)/,
      );
    },
  );

  test('started by npm (npm start, npx), the service stops with npm, releasing the state lock', async () => {
    const child = spawn('npm', ['start', '--', '--config', stack.writeConfig(job('npm', 'PRODUCT'))], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...stack.env() },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const lock = join(stack.stateDir, 'lock');
    try {
      await waitFor('a first run', () => sim.served.length >= 1 && existsSync(lock));
      // npm exits on SIGTERM (143) without passing it on; the service notices it is gone.
      child.kill('SIGTERM');
      await waitFor('the service gone', () => !existsSync(lock));
      expect(stderr).toMatch(/npm \(the parent process\) exited: stopping the schedules/);
      expect(stderr).toMatch(/"message":"stopped"/);
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL'); // whatever is left of npm's process group
      } catch {
        // all gone already
      }
    }
  });
});

describe('status, dead letters and init: what an operator reaches for', () => {
  const stack = useStack('inspect', { fixedHorizon: true });
  const { influx, sim } = stack;
  const config = () => stack.writeConfig(job('look', 'LOCATION'));

  test('dead letters after a field type conflict: listed by reason, replayed once fixed, nothing duplicated', async () => {
    // A string `value` in the current shard: every traffic point of the run conflicts with it.
    await influx.query(`CREATE DATABASE ${stack.db}`);
    const conflictMs = Date.now() - 60_000;
    await fetch(`${influx.url}/write?db=${stack.db}&precision=ms`, {
      method: 'POST',
      body: `radar_netflows,job=x value="text" ${conflictMs}`,
    });
    const refused = await runCli(['once', '--config', config()], stack.env());
    expect(refused.code).toBe(1);
    const listed = await runCli(['dead-letters', '--config', config()], stack.env());
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^dead letters .*dead-letters\.jsonl: \d+ points$/m);
    expect(listed.stdout).toMatch(
      /partial write: field type conflict: input field "value" on measurement "radar_netflows".*can be replayed/,
    );
    const status = JSON.parse(
      (await runCli(['status', '--json', '--config', config()], stack.env())).stdout,
    ) as {
      queries: { query: string; checkpoint: string | null; lastSuccess: string | null }[];
      deadLetters: { byReason: { points: number }[] };
    };
    expect(status.queries[0]).toMatchObject({ query: 'look/LOCATION/1h', lastSuccess: expect.any(String) });
    expect(status.deadLetters.byReason[0]!.points).toBeGreaterThan(100);

    // The cause fixed: the shard that holds the string (a field's type is kept per shard, and only
    // dropping the shard or the measurement resets it; the measurement would take the points InfluxDB
    // kept in other shards with it). Then the dead letters go in; InfluxDB equals Radar.
    const shards = await influx.query('SHOW SHARDS');
    const conflicted = shards.find(
      (s) =>
        s.database === stack.db &&
        Date.parse(String(s.start_time)) <= conflictMs &&
        conflictMs < Date.parse(String(s.end_time)),
    );
    await influx.query(`DROP SHARD ${String(conflicted!.id)}`);
    const replay = await runCli(
      ['dead-letters', '--replay', '--reason', 'field type conflict', '--config', config()],
      stack.env(),
    );
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(/^replayed \d+ points \(removed from the dead letters\); 0 refused again/);
    await stack.expectMatchesServed(() => 'look');
    const again = await runCli(['dead-letters', '--replay', '--config', config()], stack.env());
    expect(again.stdout).toMatch(/^replayed 0 points/);
    expect((await runCli(['dead-letters', '--config', config()], stack.env())).stdout).toMatch(/: none$/m);
  });

  test('status with InfluxDB down: what waits in the spool and since when, the checkpoints as dates; safe while run runs', async () => {
    stack.seedState();
    const configFile = config();
    const running = startCli(
      ['run', '--config', configFile],
      stack.env({ INFLUX_URL: 'http://127.0.0.1:9' }),
    );
    await waitFor('a spooled write', () => running.output().stderr.includes('keeping points in the spool'));
    const status = await runCli(['status', '--config', configFile], stack.env());
    running.child.kill('SIGTERM');
    await running.exited;
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^state directory .*: in use by "run" \(pid \d+ on /m);
    expect(status.stdout).toMatch(/^look\/LOCATION\/1h +(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ|none yet) /m);
    expect(status.stdout).toMatch(
      /^spool .*: \d+ bytes in \d+ segments wait for InfluxDB, the oldest written \d{4}-\d\d-\d\dT[\d:]+Z \(\d+s ago\)$/m,
    );
    expect(sim.served.length).toBeGreaterThan(0);
  });

  test('init writes the example jobs.yaml, which validates; a missing config points to it', async () => {
    const file = join(stack.dir, `init-${stack.case}.yaml`);
    const missing = await runCli(['validate', '--config', file], {});
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /cannot read the config: file not found \(radar-netflows init writes the example jobs\.yaml there; or give --config FILE\)/,
    );
    expect((await runCli(['init', '--config', file], {})).code).toBe(0);
    expect((await runCli(['validate', '--config', file], {})).code).toBe(0);
    const twice = await runCli(['init', '--config', file], {});
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/exists already/);
  });
});
