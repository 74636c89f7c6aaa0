import { describe, expect, test } from '@jest/globals';
import { startCli, waitFor, type RunningCli } from '../harness/cli.js';
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
});
