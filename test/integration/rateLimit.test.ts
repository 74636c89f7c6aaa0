import { describe, expect, test } from '@jest/globals';
import { runCli, startCli, waitFor, type RunningCli } from '../harness/cli.js';
import { useStack } from '../harness/stack.js';

const CONFIG = `
radar: { retryDelayMs: 20, rateLimit: 10, concurrency: 1 }
windows: { 1h: 1d }
jobs:
  - { name: r, dimensions: [PRODUCT], intervals: [1h] }
`;

/** The rate limit is Radar's, per user: it holds across restarts and follows what Radar says is left (#32). */
describe('the rate limit across processes', () => {
  const stack = useStack('rate-limit', { fixedHorizon: true });
  const { sim } = stack;
  const waitingForLimit = (cli: RunningCli) => cli.output().stderr.includes('waiting for the rate limit');

  async function kill(cli: RunningCli): Promise<void> {
    cli.child.kill('SIGKILL');
    await cli.exited;
  }

  test('a backfill killed while it waits for the limit and started again at once sends nothing more in that span', async () => {
    const config = stack.writeConfig(CONFIG);
    const args = ['backfill', '--from', '20d', '--config', config];
    const first = startCli(args, stack.env());
    await waitFor('the limit reached', () => waitingForLimit(first));
    expect(sim.served).toHaveLength(10);
    await kill(first);
    // A crash loop: started again at once. The ten requests of the last minutes still count.
    const second = startCli(args, stack.env());
    await waitFor('the second one waiting too', () => waitingForLimit(second));
    await kill(second);
    expect(sim.served).toHaveLength(10);
  });

  test('when Radar says less quota is left than the limiter counts (other clients of the user), it follows Radar', async () => {
    sim.quota = { remaining: 3, resetSec: 300 };
    const cli = startCli(
      ['once', '--config', stack.writeConfig(CONFIG.replace('rateLimit: 10', 'rateLimit: 600'))],
      stack.env(),
    );
    await waitFor('the quota spent', () => waitingForLimit(cli));
    await kill(cli);
    expect(sim.served).toHaveLength(3);
  });

  test('a 429 on the names pauses every Radar request, that process’s and the next one’s', async () => {
    const config = stack.writeConfig(
      'radar: { retryDelayMs: 20 }\njobs:\n  - { name: n, dimensions: [AS], intervals: [1h], limitPerGroup: 3, lookback: 1d }\n',
    );
    sim.entityFault = { kind: 'status', status: 429, code: 971, message: 'Please wait', retryAfterSec: 300 };
    const first = startCli(['once', '--config', config], stack.env());
    expect((await first.exited).code).toBe(0); // the data written; the names wait for a later run
    const data = sim.served.length;
    const entities = sim.entityServed.length;
    expect(entities).toBe(1);
    const second = startCli(['once', '--config', config], stack.env());
    await waitFor('the pause said', () => /paused until .*Radar throttled/.test(second.output().stderr));
    await kill(second);
    expect([sim.served.length, sim.entityServed.length]).toEqual([data, entities]);
  });

  test('doctor after a 429 stops and says Radar asked it to wait, instead of judging throttled answers', async () => {
    sim.inject({ kind: 'status', status: 429, code: 971, retryAfterSec: 300 }, 100);
    const config = stack.writeConfig(
      'jobs:\n  - { name: d, dimensions: [LOCATION, AS], intervals: [15m, 1h] }\n',
    );
    const result = await runCli(['doctor', '--config', config], stack.env());
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /throttled +Radar answered 429 \(retry-after 300 s\): it asks that no request be sent until/,
    );
    expect(result.stdout).not.toMatch(/assumptions broken/);
    expect(sim.served).toHaveLength(1);
  });
});
