import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCli, waitFor, type RunningCli } from '../harness/cli.js';
import { useStack } from '../harness/stack.js';

const KEEP = `
radar: { retryDelayMs: 20, concurrency: 1 }
service: { graceMs: 10000 }
jobs:
  - { name: keep, schedule: "*/2 * * * * *", dimensions: [PRODUCT], intervals: [1h], lookback: 2d }
`;
const k = (locations: string) =>
  `  - { name: k, dimensions: [LOCATION], intervals: [1h], lookback: 2d, filters: { location: [${locations}] } }\n`;

/** A SIGHUP never lets a query continue from checkpoints saved under another definition (issue #32). */
describe('reloads and the definitions of running queries', () => {
  const stack = useStack('reload', { fixedHorizon: true });
  const { sim } = stack;
  const savedDefinition = (id: string) =>
    (
      JSON.parse(readFileSync(join(stack.stateDir, 'state.json'), 'utf8')) as {
        queries: Record<string, { checkpointMs: number; definition?: { series: { filters: object }[] } }>;
      }
    ).queries[id];
  const asked = (location: string) =>
    sim.served.filter((s) => s.dimension === 'LOCATION' && s.params.location?.[0]?.includes(location));

  async function stop(daemon: RunningCli): Promise<void> {
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  }

  test('a job removed while its run is in flight keeps its definition; re-added with other filters it is refused', async () => {
    sim.responseDelayMs = 1500; // k's window is on the wire when the reload comes
    const file = stack.writeConfig(KEEP + k('US, DE'));
    const daemon = startCli(['run', '--config', file], stack.env());
    await waitFor('k scheduled', () => daemon.output().stderr.includes('scheduled job k'));
    stack.writeConfig(KEEP);
    daemon.child.kill('SIGHUP');
    await waitFor('the reload', () => daemon.output().stderr.includes('reloaded: 1 queries'));
    await waitFor('k’s run to end', () => savedDefinition('k/LOCATION/1h') !== undefined);
    expect(savedDefinition('k/LOCATION/1h')!.definition?.series[0]!.filters).toEqual({
      location: ['US', 'DE'],
    });
    sim.responseDelayMs = 0;
    stack.writeConfig(KEEP + k('FR, JP'));
    daemon.child.kill('SIGHUP');
    await waitFor('the refusal', () => daemon.output().stderr.includes('not reloaded'));
    expect(daemon.output().stderr).toContain(
      'k/LOCATION/1h: series \\"k\\" filters {location US,DE} → {location FR,JP}',
    );
    await stop(daemon);
    expect(asked('FR')).toEqual([]);
  });

  test('a new job’s filter changed before its first window returns: the reload is refused, its state keeps what it asked', async () => {
    sim.responseDelayMs = 1500;
    const file = stack.writeConfig(KEEP + k('US, DE'));
    const daemon = startCli(['run', '--config', file], stack.env());
    await waitFor('k scheduled', () => daemon.output().stderr.includes('scheduled job k'));
    stack.writeConfig(KEEP + k('FR, JP'));
    daemon.child.kill('SIGHUP');
    await waitFor('the refusal', () => daemon.output().stderr.includes('not reloaded'));
    expect(daemon.output().stderr).toContain('{location US,DE} → {location FR,JP}');
    await waitFor('k’s run to end', () => savedDefinition('k/LOCATION/1h') !== undefined);
    expect(savedDefinition('k/LOCATION/1h')!.definition?.series[0]!.filters).toEqual({
      location: ['US', 'DE'],
    });
    await stop(daemon);
    expect(asked('FR')).toEqual([]);
  });

  test('a reload that renames a schedule group never starts a second run of a query still running', async () => {
    // 15m and 1d run on different default schedules ("j 15m", "j 1d"); `schedule:` makes them one ("j").
    const config = (schedule: string) => `
radar: { retryDelayMs: 20, concurrency: 1 }
service: { graceMs: 10000 }
jobs:
  - { name: j, dimensions: [PRODUCT], intervals: [15m, 1d], lookback: 42d${schedule} }
`;
    sim.responseDelayMs = 400;
    const file = stack.writeConfig(config(''));
    const daemon = startCli(['run', '--config', file], stack.env());
    await waitFor(
      'the catch-up under way',
      () => sim.served.filter((s) => s.params.aggInterval?.[0] === '15m').length >= 1,
    );
    stack.writeConfig(config(', schedule: "*/2 * * * * *"'));
    daemon.child.kill('SIGHUP');
    await waitFor('the reload', () => daemon.output().stderr.includes('reloaded: 2 queries'));
    await waitFor('the first run’s end and a tick after it', () =>
      /job j 15m ran[\s\S]*job j ran/.test(daemon.output().stderr),
    );
    await stop(daemon);
    const closed = sim.served.filter(
      (s) =>
        s.params.aggInterval?.[0] === '15m' &&
        Date.parse(s.params.dateEnd![0]!) + 7 * 86_400_000 < Date.now(),
    );
    const starts = closed.map((s) => s.params.dateStart![0]);
    expect(starts.length).toBeGreaterThan(3);
    expect(starts.length).toBe(new Set(starts).size);
  });
});
