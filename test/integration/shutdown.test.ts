import { describe, expect, test } from '@jest/globals';
import { startCli, waitFor } from '../harness/cli.js';
import { useStack } from '../harness/stack.js';

/**
 * Ten requests per 5 minutes: the rest of the windows wait in the rate limiter's queue. Windows of a
 * day (the default is 7 days for 15m data): 30 days are 60 requests, far more than the first 10.
 */
const SLOW = `
radar: { rateLimit: 10, retryDelayMs: 20 }
windows: { 15m: 1d }
service: { graceMs: 20000 }
jobs:
  - name: slow
    schedule: "0 0 * * *"
    dimensions: [LOCATION, AS]
    intervals: [15m]
    limitPerGroup: 3
    lookback: 30d
`;

describe('shutdown cancels what has not started', () => {
  const stack = useStack('shutdown', { fixedHorizon: true });
  const { sim, influx } = stack;

  test('Ctrl-C on a backfill queued behind the rate limit ends it at once (exit 130), resumable', async () => {
    const configFile = stack.writeConfig(SLOW);
    const backfill = startCli(['backfill', '--from', '30d', '--config', configFile], stack.env());
    await waitFor('the rate limit reached', () => sim.served.length >= 10);
    const stoppedAt = Date.now();
    backfill.child.kill('SIGINT');
    const result = await backfill.exited;
    expect(result.code).toBe(130);
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
    expect(result.stderr).not.toMatch(/"level":"error"/);
  });

  test('SIGTERM on run during catch-up: no wait for queued requests, no failed window or fetch recorded', async () => {
    const configFile = stack.writeConfig(SLOW);
    const daemon = startCli(['run', '--config', configFile], stack.env());
    await waitFor('the rate limit reached', () => sim.served.length >= 10);
    await new Promise((r) => setTimeout(r, 300));
    const stoppedAt = Date.now();
    daemon.child.kill('SIGTERM');
    const result = await daemon.exited;
    expect(result.code).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
    expect(result.stderr).not.toMatch(/"level":"error"/);
    expect(result.stderr).not.toMatch(/window failed/);
    const failed = await influx.query(`SELECT * FROM radar_fetches WHERE outcome = 'failed'`, stack.db);
    expect(failed).toEqual([]);
    const stats = await influx.query('SELECT last(windows_failed_total) FROM radar_service', stack.db);
    expect(stats.map((r) => r.last)).toEqual([0]);
  });

  test('Ctrl-C on once during a long catch-up says what happens and exits 130', async () => {
    const configFile = stack.writeConfig(SLOW);
    const once = startCli(['once', '--config', configFile], stack.env());
    await waitFor('the rate limit reached', () => sim.served.length >= 10);
    const stoppedAt = Date.now();
    once.child.kill('SIGINT');
    const result = await once.exited;
    expect(result.code).toBe(130);
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
    expect(result.stderr).toMatch(/SIGINT: finishing the windows in flight; run once again to carry on/);
  });
});
