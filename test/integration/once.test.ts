import { describe, expect, test } from '@jest/globals';
import { runCli, startCli } from '../harness/cli.js';
import { actualTraffic, expectedFromServed } from '../harness/groundTruth.js';
import type { Served } from '../harness/radarSimulator.js';
import { useStack } from '../harness/stack.js';

const CONFIG = `
radar: { retryDelayMs: 50, concurrency: 4 }
defaults:
  lookback: 2d
jobs:
  - name: all
    dimensions: [LOCATION, AS, ADM1, PRODUCT]
    intervals: [15m, 1h, 1d, 1w]
    limitPerGroup: 5
  - name: eu
    dimensions: [LOCATION]
    intervals: [1h]
    filters: { continent: [EU], product: [HTTP] }
  - name: us-vs-pt
    dimensions: [AS]
    intervals: [1h]
    limitPerGroup: 3
    normalization: MIN0_MAX
    series:
      - { name: us, filters: { location: [US] } }
      - { name: pt, filters: { location: [PT] } }
`;

/** Which job of CONFIG a request came from. */
function jobOf(s: Served): string {
  if (s.params.name) return 'us-vs-pt';
  return s.params.continent ? 'eu' : 'all';
}

describe('once: jobs.yaml → Radar → InfluxDB', () => {
  const stack = useStack('once', { fixedHorizon: true });
  const { influx, sim } = stack;

  test('writes exactly the points the API returned, with the data model tags, and a second run changes nothing', async () => {
    const configFile = stack.writeConfig(CONFIG);
    const env = stack.env();
    const first = await runCli(['once', '--config', configFile], env);
    expect(first.stderr).not.toContain(sim.token);
    expect(first.code).toBe(0);

    expect(expectedFromServed(sim.served, jobOf).size).toBeGreaterThan(1000);
    await stack.expectMatchesServed(jobOf);
    const afterFirst = await actualTraffic(influx, stack.db);

    const tagKeys = await influx.query('SHOW TAG KEYS FROM radar_netflows', stack.db);
    expect(tagKeys.map((r) => r.tagKey).sort()).toEqual([
      'agg_interval',
      'dimension',
      'group_key',
      'job',
      'normalization',
      'series',
    ]);
    const fieldKeys = await influx.query('SHOW FIELD KEYS FROM radar_netflows', stack.db);
    expect(fieldKeys).toEqual([{ fieldKey: 'value', fieldType: 'float' }]);
    // Every dimension × interval of "all", one of "eu", one two-series comparison.
    const seen = new Set(
      [...afterFirst.points.keys()].map((k) =>
        k
          .split('|')
          .slice(0, 5)
          .filter((_, i) => i !== 3)
          .join('|'),
      ),
    );
    expect(seen.size).toBe(16 + 1 + 2);
    expect([...afterFirst.points.keys()].some((k) => k.includes('|other|'))).toBe(true);

    const requestsFirst = sim.served.length;
    const second = await runCli(['once', '--config', configFile], env);
    expect(second.code).toBe(0);
    expect((await actualTraffic(influx, stack.db)).rows).toBe(afterFirst.rows);
    await stack.expectMatchesServed(jobOf);

    const fetches = await influx.query('SELECT count("points") FROM radar_fetches', stack.db);
    expect(fetches[0]?.count).toBe(sim.served.length);
    // Final windows are behind the checkpoints now: the second run fetched only the rest ...
    // ... which is each query's open window: 16 + 1 + 1 queries.
    expect(sim.served.length - requestsFirst).toBe(18);
    const annotations = await influx.query('SELECT * FROM radar_annotations', stack.db);
    expect(annotations.length).toBeGreaterThan(0);
  });

  test('--dry-run prints line protocol and writes nothing', async () => {
    const configFile = stack.writeConfig(CONFIG);
    const result = await runCli(
      ['once', '--dry-run', '--job', 'eu', '--config', configFile],
      stack.env({ INFLUX_DATABASE: 'dry', INFLUX_URL: 'http://127.0.0.1:9' }),
    );
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('radar_netflows,')).length).toBeGreaterThan(100);
    expect(lines[0]).toMatch(/^radar_\w+,/);
    const databases = await influx.query('SHOW DATABASES');
    expect(databases.map((d) => d.name)).not.toContain('dry');
  });
});

describe('once with many queries at a time', () => {
  const stack = useStack('once_many', { fixedHorizon: true });

  test('every line on stderr is a JSON log line: no warning printed by node itself', async () => {
    const configFile = stack.writeConfig(`
radar: { concurrency: 2 }
jobs:
  - name: many
    dimensions: [LOCATION, AS, ADM1, PRODUCT]
    intervals: [15m, 1h, 1d, 1w]
    limitPerGroup: 3
    lookback: 3d
`);
    const result = await runCli(['once', '--config', configFile], stack.env());
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(/MaxListenersExceededWarning/);
    for (const line of result.stderr.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
  });
});

describe('once --dry-run into a pipe that closes', () => {
  const stack = useStack('once_pipe', { fixedHorizon: true });

  test('ends quietly, like `| head`', async () => {
    const configFile = stack.writeConfig(`
jobs:
  - name: pipe
    dimensions: [LOCATION, AS]
    intervals: [15m, 1h]
    limitPerGroup: 10
    lookback: 7d
`);
    const running = startCli(['once', '--dry-run', '--config', configFile], stack.env());
    running.child.stdout!.once('data', () => running.child.stdout!.destroy());
    const result = await running.exited;
    expect(result.stderr).not.toMatch(/EPIPE|internal error|at .*\.js:\d+/);
    expect(result.code).toBe(0);
  });

  test('LOG_FORMAT chooses the log lines: text (one a message) or JSON, whatever stderr is', async () => {
    const config = stack.writeConfig(
      'jobs:\n  - { name: fmt, dimensions: [PRODUCT], intervals: [1h], lookback: 1d }\n',
    );
    const text = await runCli(['once', '--dry-run', '--config', config], stack.env({ LOG_FORMAT: 'text' }));
    expect(text.code).toBe(0);
    const lines = text.stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => !l.startsWith('{') && / info /.test(l))).toBe(true);
    const json = await runCli(['once', '--dry-run', '--config', config], stack.env({ LOG_FORMAT: 'json' }));
    expect(
      json.stderr
        .trim()
        .split('\n')
        .every((l) => JSON.parse(l) !== undefined),
    ).toBe(true);
  });
});
