import { describe, expect, test } from '@jest/globals';
import { startCli, waitFor } from '../harness/cli.js';
import { freePort } from '../harness/influxd.js';
import { useStack } from '../harness/stack.js';
import { SteppedWallClock } from '../harness/wallClock.js';

const CONFIG = `
radar: { retryDelayMs: 20 }
service: { statsEveryMs: 1000 }
jobs:
  - name: tick
    schedule: "*/2 * * * * *"
    dimensions: [PRODUCT]
    intervals: [1h]
    lookback: 1d
`;

/** The wall clock of a running `run` stepped back and forward (libfaketime): runs go on, ages stay true. */
describe('a wall-clock step neither stalls run nor floods its log', () => {
  const stack = useStack('clock_step', { fixedHorizon: true });
  const { sim, influx } = stack;

  test('back 1 h, forward 3 h, back again: runs go on at the next tick, one line per step, ages never negative', async () => {
    const clock = new SteppedWallClock();
    const port = await freePort();
    const daemon = startCli(
      ['run', '--config', stack.writeConfig(CONFIG)],
      stack.env({ HTTP_LISTEN: `127.0.0.1:${port}`, ...clock.env() }),
    );
    const runs = () => sim.served.length;
    const goesOn = async (what: string) => {
      const before = runs();
      await waitFor(what, () => runs() >= before + 2);
    };
    await goesOn('the first runs');

    clock.set('-1h');
    await goesOn('runs after a step back of 1 h');
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(await ready.json()).toMatchObject({ ready: true, checks: { lastSuccess: 'ok' } });

    clock.set('+3h');
    await goesOn('runs after a step forward of 3 h');
    clock.set('+0');
    await goesOn('runs after the step back to the real time');

    daemon.child.kill('SIGTERM');
    const { code, stderr } = await daemon.exited;
    expect(code).toBe(0);
    // Each step said once (three, though four schedules looked), and no slot replayed for itself.
    const steps = stderr.split('\n').filter((line) => line.includes('the wall clock stepped'));
    expect(steps.length).toBeGreaterThanOrEqual(3);
    expect(steps.length).toBeLessThanOrEqual(4);
    expect(stderr).toMatch(/the wall clock stepped back by 1h/);
    expect(stderr).toMatch(/the wall clock stepped forward by 4h/); // from −1 h to +3 h
    expect(stderr).toMatch(/the wall clock stepped back by 3h/);
    expect(stderr).not.toMatch(/missed execution/);
    const ages = await influx.query("SELECT since_success_s FROM radar_service WHERE job = 'tick'", stack.db);
    expect(ages.length).toBeGreaterThan(3);
    expect(ages.every((row) => (row.since_success_s as number) >= 0)).toBe(true);
  });
});
