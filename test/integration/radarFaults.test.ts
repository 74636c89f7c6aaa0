import { beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../harness/cli.js';
import type { Fault } from '../harness/radarSimulator.js';
import { useStack } from '../harness/stack.js';

const CONFIG = `
radar: { retryDelayMs: 20, retries: 8, timeoutMs: 1500, concurrency: 2, throttlePauseMs: 1000 }
defaults: { lookback: 1d }
jobs:
  - name: faults
    dimensions: [LOCATION, AS]
    intervals: [1h, 15m]
    limitPerGroup: 4
`;

const DAY = 86_400_000;
/** How long a request's range spans, from its query string. */
const spanOf = (rawQuery: string): number => {
  const params = new URLSearchParams(rawQuery);
  return Date.parse(params.get('dateEnd')!) - Date.parse(params.get('dateStart')!);
};

describe('once against a misbehaving Radar', () => {
  const stack = useStack('faults', { fixedHorizon: true });
  const { sim } = stack;
  let configFile = '';
  const env = () => stack.env();
  const expectAllPoints = () => stack.expectMatchesServed(() => 'faults');

  beforeAll(() => {
    configFile = stack.writeConfig(CONFIG);
  });

  test('429 with retry-after, 503 and success:false in a 200 are retried until every point is written', async () => {
    sim.inject({ kind: 'status', status: 429, code: 1015, message: 'Rate limited', retryAfterSec: 1 }, 2);
    sim.inject({ kind: 'status', status: 503 }, 2);
    sim.inject({ kind: 'success-false', code: 1015, message: 'too many requests' }, 1);
    sim.inject({ kind: 'success-false', code: 2000, message: 'internal error' }, 1);
    const result = await runCli(['once', '--config', configFile], env());
    expect(result.code).toBe(0);
    expect(sim.served.filter((s) => s.fault).length).toBe(6);
    await expectAllPoints();
  });

  test('a 429 pauses every request until retry-after has passed', async () => {
    sim.inject({ kind: 'status', status: 429, code: 1015, message: 'Rate limited', retryAfterSec: 2 }, 1);
    const result = await runCli(['once', '--config', configFile], env());
    expect(result.code).toBe(0);
    const throttled = sim.served.find((s) => s.status === 429)!;
    const after = sim.served.filter((s) => s.atMs > throttled.atMs);
    expect(after.length).toBeGreaterThan(0);
    // Requests already in flight may land just after the 429; none may start until it has passed.
    const startedLater = after.filter((s) => s.atMs > throttled.atMs + 200);
    expect(Math.min(...startedLater.map((s) => s.atMs)) - throttled.atMs).toBeGreaterThanOrEqual(1900);
    await expectAllPoints();
  });

  const transient: Fault[] = [
    { kind: 'hang' },
    { kind: 'reset' },
    { kind: 'truncated' },
    { kind: 'malformed' },
    { kind: 'unequal' },
    { kind: 'missing-series' },
    { kind: 'empty' },
    { kind: 'status', status: 502 },
    { kind: 'status', status: 429, code: 1015, message: 'no retry-after this time' },
    { kind: 'status', status: 500, code: 2000 },
  ];
  test.each(transient.map((f) => [f.kind === 'status' ? `HTTP ${f.status}` : f.kind, f] as const))(
    '%s is retried and nothing is lost',
    async (_name, fault) => {
      sim.inject(fault, 1);
      const result = await runCli(['once', '--config', configFile], env());
      expect(result.code).toBe(0);
      expect(sim.served.some((s) => s.fault === fault.kind)).toBe(true);
      await expectAllPoints();
    },
  );

  test('a window larger than Radar answers is split by itself: every bucket written, exit 0, the split kept and said once', async () => {
    const wide = stack.writeConfig(
      'radar: { retryDelayMs: 20 }\nwindows: { 15m: 14d }\njobs:\n  - { name: wide, dimensions: [PRODUCT], intervals: [15m], lookback: 14d }\n',
      'wide.yaml',
    );
    const result = await runCli(['once', '--config', wide], env());
    expect(result.code).toBe(0);
    // Said once, with the windows: entry that avoids it.
    const said = result.stderr.match(/Radar refused 15m data in a 2w window: .*/g) ?? [];
    expect(said).toHaveLength(1);
    expect(said[0]).toContain('fetched in 1w windows from now on');
    expect(said[0]).toContain('`windows: { 15m: 1w }`');
    expect(result.stderr).not.toMatch(/window failed/);
    // Refused for good: each refused window was asked once, not retried; then 7-day windows only.
    const refused = sim.served.filter((s) => s.status === 400);
    expect(refused.length).toBe(1);
    await stack.expectMatchesServed(() => 'wide');
    const state = JSON.parse(readFileSync(join(stack.stateDir, 'state.json'), 'utf8')) as {
      queries: Record<string, { windowMs?: number }>;
    };
    expect(state.queries['wide/PRODUCT/15m']!.windowMs).toBe(7 * DAY);
    // The next run remembers it: no request spans more than 7 days.
    sim.served.length = 0;
    expect((await runCli(['once', '--config', wide], env())).code).toBe(0);
    expect(sim.served.every((s) => s.status === 200 && spanOf(s.rawQuery) <= 7 * DAY)).toBe(true);
  });

  test('a year of 1d data from a Radar that answers 84 days at most, refusing more with a bare 400 "Internal Error": every day written, exit 0', async () => {
    sim.maxRangeMs['1d'] = 84 * DAY;
    sim.rangeRefusal = 'internal-error';
    // The window of earlier releases (364 days): refused, then split into the 84 days Radar answers.
    const year = stack.writeConfig(
      'radar: { retryDelayMs: 20 }\nwindows: { 1d: 364d }\njobs:\n  - { name: daily, dimensions: [PRODUCT], intervals: [1d] }\n',
      'daily.yaml',
    );
    const result = await runCli(['backfill', '--config', year, '--from', '365d', '--to', 'now'], env());
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/Radar refused 1d data in a 52w window: .* fetched in 12w windows/);
    await stack.expectMatchesServed(() => 'daily');
    const days = await stack.influx.query(
      `SELECT count("value") FROM "radar_netflows" WHERE "job" = 'daily' AND "group_key" = 'HTTP' AND time >= now() - 365d`,
      stack.db,
    );
    expect(days[0]!.count).toBeGreaterThanOrEqual(364);
    // With the default window (84 days) nothing is refused at all.
    sim.served.length = 0;
    const fresh = stack.writeConfig(
      'radar: { retryDelayMs: 20 }\njobs:\n  - { name: fresh, dimensions: [PRODUCT], intervals: [1d] }\n',
      'fresh.yaml',
    );
    expect((await runCli(['backfill', '--config', fresh, '--from', '365d', '--to', 'now'], env())).code).toBe(
      0,
    );
    expect(sim.served.filter((s) => s.status !== 200)).toEqual([]);
  });

  test('unknown extra fields are tolerated', async () => {
    sim.inject({ kind: 'extra-fields' }, 4);
    const result = await runCli(['once', '--config', configFile], env());
    expect(result.code).toBe(0);
    expect(sim.served.filter((s) => s.fault === 'extra-fields').length).toBe(4);
    await expectAllPoints();
  });

  test('a bad token fails at once with the API message (exit 2), and the token is never printed', async () => {
    const badToken = 'bad-token-SECRET-987654321';
    const result = await runCli(['once', '--config', configFile], {
      ...env(),
      CLOUDFLARE_API_TOKEN: badToken,
      LOG_LEVEL: 'debug',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Invalid API Token');
    expect(result.stderr).not.toMatch(/retriesLeft/);
    expect(result.stderr + result.stdout).not.toContain(badToken);
    // Nothing retried, and once Radar refused the token no further request was sent (2 were in flight).
    expect(sim.served.length).toBeLessThanOrEqual(2);
    // Each window given up is on record for the pipeline dashboard, with its single attempt (none
    // for those whose request was never sent).
    const failed = await stack.influx.query(
      `SELECT "attempts" FROM radar_fetches WHERE "outcome" = 'failed'`,
      stack.db,
    );
    expect(failed.length).toBeGreaterThanOrEqual(4);
    expect(failed.every((row) => (row.attempts as number) <= 1)).toBe(true);
    expect(failed.filter((row) => row.attempts === 1).length).toBe(sim.served.length);
  });

  test('the legacy email + key pair authenticates', async () => {
    const result = await runCli(['once', '--config', configFile], {
      ...env(),
      CLOUDFLARE_API_TOKEN: '',
      CLOUDFLARE_API_EMAIL: 'sim@example.test',
      CLOUDFLARE_API_KEY: 'sim-global-key-abcdef',
    });
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain('sim-global-key-abcdef');
    await expectAllPoints();
  });
});
