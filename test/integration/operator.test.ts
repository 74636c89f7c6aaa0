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
    await waitFor('the added job', () => sim.served.some((s) => s.dimension === 'AS'), 10_000);
    expect(daemon.output().stderr).toMatch(/SIGHUP: .*jobs\.yaml reloaded: 2 queries/);

    stack.writeConfig(job('first', 'CITY'));
    daemon.child.kill('SIGHUP');
    await waitFor(
      'the refusal',
      () => daemon.output().stderr.includes('not reloaded, the running jobs go on'),
      10_000,
    );
    expect(daemon.output().stderr).toMatch(/jobs\[0\]\.dimensions\[0\]: \\"CITY\\" is not allowed/);
    const before = sim.served.filter((s) => s.dimension === 'PRODUCT').length;
    await waitFor(
      'the running jobs going on',
      () => sim.served.filter((s) => s.dimension === 'PRODUCT').length > before,
      10_000,
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
      await waitFor('a first run', () => sim.served.length >= 1 && existsSync(lock), 20_000);
      // npm exits on SIGTERM (143) without passing it on; the service notices it is gone.
      child.kill('SIGTERM');
      await waitFor('the service gone', () => !existsSync(lock), 10_000);
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
