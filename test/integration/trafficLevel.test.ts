/**
 * The traffic level (`GET /radar/netflows/timeseries`, issue #36): collected for the shipped world
 * job next to its shares, through the same windows, checks, checkpoints and sink, and stored exactly
 * as the simulator served it; a fault on that endpoint costs no share data and closes by itself.
 */
import { describe, expect, test } from '@jest/globals';
import { join } from 'node:path';
import { ROOT, runCli } from '../harness/cli.js';
import { actualLevel, expectedLevelFromServed } from '../harness/groundTruth.js';
import { TRAFFIC_LEVEL, type Served } from '../harness/radarSimulator.js';
import { useStack } from '../harness/stack.js';

/** Which job of the shipped jobs.yaml a request came from. */
function shippedJobOf(s: Served): string {
  if (s.params.name) return 'us-vs-pt';
  return s.params.continent ? 'europe-http' : 'world';
}

describe('the traffic level', () => {
  const stack = useStack('traffic_level', { fixedHorizon: true });
  const { influx, sim } = stack;

  test("the shipped jobs.yaml, run once, stores the world job's traffic level beside its shares, exactly as served; plan counts it", async () => {
    const shipped = join(ROOT, 'jobs.yaml');
    const plan = await runCli(['plan', '--config', shipped], stack.env());
    expect(plan.code).toBe(0);
    for (const interval of ['15m', '1h', '1d', '1w'])
      expect(plan.stdout).toContain(`world/TRAFFIC_LEVEL/${interval}`);
    const run = await runCli(['once', '--config', shipped], stack.env());
    expect(run.code).toBe(0);
    await stack.expectMatchesServed(shippedJobOf);
    const levelRequests = sim.served.filter((s) => s.dimension === TRAFFIC_LEVEL);
    // One per window of each interval; never with limitPerGroup, always MIN0_MAX.
    expect(new Set(levelRequests.map((s) => s.params.aggInterval![0])).size).toBe(4);
    for (const s of levelRequests) {
      expect(s.params.limitPerGroup).toBeUndefined();
      expect(s.params.normalization).toEqual(['MIN0_MAX']);
      expect(s.status).toBe(200);
    }
    const expected = expectedLevelFromServed(sim.served, shippedJobOf);
    expect(expected.size).toBeGreaterThan(700); // a week of 15m buckets alone is 672
    expect(await actualLevel(influx, stack.db)).toEqual(expected);
    // Its own measurement, with the tags of a series and no dimension or group.
    const tagKeys = await influx.query('SHOW TAG KEYS FROM radar_traffic_level', stack.db);
    expect(tagKeys.map((r) => r.tagKey).sort()).toEqual(['agg_interval', 'job', 'normalization', 'series']);
    const jobs = await influx.query('SHOW TAG VALUES FROM radar_traffic_level WITH KEY = "job"', stack.db);
    expect(jobs.map((r) => r.value)).toEqual(['world']);
    // Recorded like every fetch, under its own name.
    const fetches = await influx.query(
      `SELECT count("points") FROM radar_fetches WHERE "dimension" = 'TRAFFIC_LEVEL' AND "outcome" = 'ok'`,
      stack.db,
    );
    expect(fetches[0]?.count).toBe(levelRequests.length);
  });

  test('doctor checks the traffic level as it checks the shares, and says the column Radar named', async () => {
    const config = stack.writeConfig(`
jobs:
  - { name: world, dimensions: [AS], intervals: [1h], limitPerGroup: 5, trafficLevel: true }
`);
    const result = await runCli(['doctor', '--config', config], stack.env());
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ {2}TRAFFIC_LEVEL 1h +ok: dateEnd (in|ex)clusive .*; column values; /m);
    expect(result.stdout).toMatch(/^ {2}AS 1h +ok: .*; keys \d+/m);
    const level = sim.served.filter((s) => s.dimension === TRAFFIC_LEVEL);
    expect(level.length).toBeGreaterThan(0);
    for (const s of level) expect(s.params.normalization).toEqual(['MIN0_MAX']);
  });

  test('a fault on netflows/timeseries costs no share data; the level is fetched again by the next run', async () => {
    const config = stack.writeConfig(`
radar: { retries: 1, retryDelayMs: 10 }
defaults: { lookback: 2d }
jobs:
  - name: pt
    dimensions: [AS]
    intervals: [1h]
    limitPerGroup: 3
    filters: { location: [PT] }
    trafficLevel: true
`);
    sim.refuseDimensions.add(TRAFFIC_LEVEL);
    const first = await runCli(['once', '--config', config], stack.env());
    sim.refuseDimensions.delete(TRAFFIC_LEVEL);
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/pt\/TRAFFIC_LEVEL\/1h|TRAFFIC_LEVEL/);
    await stack.expectMatchesServed(() => 'pt');
    expect(await influx.query('SELECT * FROM radar_traffic_level', stack.db)).toEqual([]);
    const shares = await influx.query('SELECT count("value") FROM radar_netflows', stack.db);
    expect(shares[0]?.count).toBeGreaterThan(0);
    // The level's checkpoint did not move: the next run fetches what failed.
    const second = await runCli(['once', '--config', config], stack.env());
    expect(second.code).toBe(0);
    const expected = expectedLevelFromServed(sim.served, () => 'pt');
    expect(expected.size).toBeGreaterThanOrEqual(48);
    expect(await actualLevel(influx, stack.db)).toEqual(expected);
    await stack.expectMatchesServed(() => 'pt');
  });
});
