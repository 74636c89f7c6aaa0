import { describe, expect, test } from '@jest/globals';
import { runCli } from '../harness/cli.js';
import { useStack } from '../harness/stack.js';

const CONFIG = `
jobs:
  - name: doc
    dimensions: [LOCATION, AS]
    intervals: [15m, 1h]
`;

/** `doctor` against the simulator as Radar answers, and as a Radar that breaks one assumption at a time. */
describe('doctor', () => {
  const stack = useStack('doctor');
  const { sim } = stack;
  const doctor = (args: string[] = [], env: Record<string, string> = {}) =>
    runCli(['doctor', '--config', stack.writeConfig(CONFIG), ...args], stack.env(env));
  const announced = (stdout: string) => Number(/^doctor: up to (\d+) requests to /.exec(stdout)?.[1]);

  test.each([
    ['inclusive', true],
    ['exclusive', false],
  ])('every assumption holds with dateEnd %s: exit 0, and it says which it saw', async (name, inclusive) => {
    sim.dateEndInclusive = inclusive;
    const result = await doctor();
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ {2}credentials +ok$/m);
    expect(result.stdout.match(new RegExp(`ok: dateEnd ${name}`, 'g'))).toHaveLength(4);
    expect(result.stdout).toMatch(/keys [A-Z]{2}, [A-Z]{2}, /);
    expect(result.stdout).toMatch(
      /lastUpdated \d+(m\d+)?s ago; meta has aggInterval, normalization, lastUpdated/,
    );
    expect(result.stdout).toMatch(/^ {2}window 1h +ok: 1h in 4w windows$/m);
    expect(result.stdout).toMatch(/every assumption holds\n$/);
    expect(result.stdout).toMatch(
      /^ {2}names AS +ok: a list of asn= \(13335,15169\) answered with those 2$/m,
    );
    expect(result.stdout).toMatch(/^ {2}names LOCATION +ok: \d+ locations in one request$/m);
    // The requests it announced before sending them, and no more.
    expect(announced(result.stdout)).toBe(8);
    expect(sim.served.length + sim.entityServed.length).toBeLessThanOrEqual(8);
  });

  test('weekly data: it reports the week start and the range Radar adjusted (meta.dateRange)', async () => {
    const weekly = stack.writeConfig(
      'jobs:\n  - { name: wk, dimensions: [PRODUCT], intervals: [1w] }\n',
      'wk.yaml',
    );
    const result = await runCli(['doctor', '--config', weekly], stack.env());
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /PRODUCT 1w +ok: weekly buckets start on Mondays 00:00 UTC, as the service counts its weekly windows; range adjusted by Radar: asked (\S+) → (\S+), answered (\S+) → \S+ \(meta\.dateRange\)/,
    );
    const [, askedStart, , answeredStart] = /asked (\S+) → (\S+), answered (\S+)/.exec(result.stdout)!;
    expect(new Date(answeredStart!).getUTCDay()).toBe(1);
    expect(new Date(askedStart!).getUTCDay()).not.toBe(1);
  });

  test('a token Radar refuses: one request, exit 1, naming the variable', async () => {
    const result = await doctor([], { CLOUDFLARE_API_TOKEN: 'wrong-token-123' });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /credentials +REFUSED: Radar answered HTTP 401 \(code 1000\): Invalid API Token: check CLOUDFLARE_API_TOKEN/,
    );
    expect(sim.served).toHaveLength(1);
  });

  test('answers that say they are something else: exit 1, each named', async () => {
    sim.inject({ kind: 'meta', meta: { aggInterval: 'ONE_DAY' } }, 100);
    const result = await doctor();
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /LOCATION 15m +PROBLEM: malformed Radar response: meta\.aggInterval is "ONE_DAY", but aggInterval 15m/,
    );
    expect(result.stdout).toMatch(/^4 assumptions broken:$/m);
  });

  test.each([
    [
      'a list it ignores',
      { kind: 'ignore-list' } as const,
      /names AS +PROBLEM: asked asn=13335,15169, answered .*: lists are not taken as the names assume/,
    ],
    [
      'a refusal',
      { kind: 'status', status: 403, code: 10000, message: 'Authentication error' } as const,
      /names AS +PROBLEM: .*HTTP 403: Authentication error: the names need the token permission Account › Radar › Read \(the data is not affected/,
    ],
  ])(
    'entity endpoints answering %s: exit 1, the names named as broken, the data as fine',
    async (_name, fault, message) => {
      sim.entityFault = fault;
      const result = await doctor();
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(message);
      expect(result.stdout).toMatch(/^ {2}LOCATION 15m +ok: /m);
    },
  );

  test('buckets past dateEnd: the service would refuse them, and doctor says so', async () => {
    sim.inject({ kind: 'shift', byMs: 7 * 86_400_000 }, 100);
    const result = await doctor();
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /PROBLEM: malformed Radar response: .*lies past the range asked for.*: the service would refuse such answers/,
    );
  });

  test('a window Radar refuses as too large: exit 1 naming windows:, and --windows finds the largest in a bounded search', async () => {
    sim.maxRangeMs['1h'] = 10 * 86_400_000;
    try {
      const plain = await doctor();
      expect(plain.code).toBe(1);
      expect(plain.stdout).toMatch(
        /- 1h in 4w windows refused as too large: set a smaller windows: entry for 1h \(doctor --windows finds the largest/,
      );
      sim.served.length = 0;
      const search = await doctor(['--windows']);
      expect(search.code).toBe(1);
      expect(search.stdout).toMatch(
        /- 1h in 4w windows refused as too large: set windows: \{ 1h: 10d \} in jobs\.yaml/,
      );
      expect(search.stdout).toMatch(/window 15m +ok: 15m in 1w windows; the largest Radar answers: 1w/);
      expect(sim.served.length).toBeLessThanOrEqual(announced(search.stdout));
      expect(announced(search.stdout)).toBeLessThanOrEqual(40);
    } finally {
      sim.maxRangeMs['1h'] = 31 * 86_400_000;
    }
  });
});
