import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../harness/cli.js';

const GOOD = `jobs:
  - name: world
    dimensions: [LOCATION, AS]
    intervals: [1h]
    limitPerGroup: 10
`;

/** Each config has one mistake; the error must name the place, the value and what is allowed. */
const BROKEN: [string, string, RegExp][] = [
  [
    'unknown key',
    GOOD + '    colour: blue\n',
    /:6:5: jobs\[0\]\.colour: unknown key "colour"; allowed keys: name, dimensions/,
  ],
  [
    'bad dimension',
    GOOD.replace('AS]', 'ASN]'),
    /:3:28: jobs\[0\]\.dimensions\[1\]: "ASN" is not allowed; expected one of ADM1, AS, LOCATION, PRODUCT/,
  ],
  [
    'bad interval',
    GOOD.replace('[1h]', '[1hour]'),
    /:4:17: jobs\[0\]\.intervals\[0\]: "1hour" is not allowed; expected one of 15m, 1h, 1d, 1w/,
  ],
  [
    'bad cron',
    GOOD + '    schedule: "every 5 minutes"\n',
    /:6:15: jobs\[0\]\.schedule: "every 5 minutes" is not a valid cron expression/,
  ],
  [
    'limitPerGroup below 2',
    GOOD.replace('limitPerGroup: 10', 'limitPerGroup: 1'),
    /:5:20: jobs\[0\]\.limitPerGroup: 1 must be at least 2/,
  ],
  [
    'limitPerGroup with PRODUCT',
    GOOD.replace('[LOCATION, AS]', '[PRODUCT]'),
    /:5:20: jobs\[0\]\.limitPerGroup: 10 cannot apply to PRODUCT/,
  ],
  [
    'bad location',
    GOOD + '    filters: { location: [US, XX] }\n',
    /:6:31: jobs\[0\]\.filters\.location\[1\]: "XX" is not a location code Radar lists/,
  ],
  [
    'bad continent',
    GOOD + '    filters: { continent: [EUROPE] }\n',
    /:6:28: jobs\[0\]\.filters\.continent\[0\]: "EUROPE" is not a continent code: AF, AN, AS, EU, NA, OC, SA/,
  ],
  [
    'duplicate job name',
    GOOD + GOOD.replace('jobs:\n', ''),
    /:6:11: jobs\[1\]\.name: "world" is already the name of jobs\[0\]/,
  ],
  [
    'duplicate series name',
    GOOD + '    series:\n      - { name: a }\n      - { name: a }\n',
    /:8:17: jobs\[0\]\.series\[1\]\.name: "a" is already the name of series\[0\]/,
  ],
  [
    'malformed lookback',
    GOOD + '    lookback: 7 days\n',
    /:6:15: jobs\[0\]\.lookback: "7 days" is not a date range: use <n>d \(1 to 364\) or <n>w \(1 to 52\)/,
  ],
  [
    'a job name with a backslash before a space',
    GOOD.replace('name: world', "name: 'my\\ world'"),
    /:2:11: jobs\[0\]\.name: "my\\\\ world" has a backslash before " ", which InfluxDB cannot store: it is written as a tag of every point/,
  ],
  [
    'a job name ending in a backslash',
    GOOD.replace('name: world', "name: 'world\\'"),
    /jobs\[0\]\.name: "world\\\\" has a backslash before "the end"/,
  ],
  [
    'a series name with a control character',
    GOOD + '    series:\n      - { name: "a\\x01b" }\n',
    /:7:17: jobs\[0\]\.series\[0\]\.name: "a\\u0001b" contains the control character U\+0001/,
  ],
  [
    'a series name with a lone surrogate',
    GOOD + '    series:\n      - { name: "a\\ud800" }\n',
    /jobs\[0\]\.series\[0\]\.name: "a\\ud800" contains a lone UTF-16 surrogate/,
  ],
  [
    'a series named meta',
    GOOD + '    series:\n      - { name: meta }\n',
    /:7:17: jobs\[0\]\.series\[0\]\.name: "meta" is a key Radar uses in its answers \(meta, serie_0, serie_1, …\)/,
  ],
  [
    'a series named like an unnamed one',
    GOOD + '    series:\n      - { name: us }\n      - { name: serie_0 }\n',
    /jobs\[0\]\.series\[1\]\.name: "serie_0" is a key Radar uses/,
  ],
  [
    'an empty job name',
    GOOD.replace('name: world', 'name: ""'),
    /:2:11: jobs\[0\]\.name: "" is empty: it is written as a tag of every point/,
  ],
  ['broken YAML', GOOD + '  - name: [unclosed\n', /:[67]:\d+: invalid YAML: Flow sequence/],
  [
    'unset variable',
    GOOD + '    lookback: ${NO_SUCH_VARIABLE}\n',
    /:6:15: environment variable NO_SUCH_VARIABLE is not set/,
  ],
];

describe('validate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'validate-'));

  test('a good config passes', async () => {
    const file = join(dir, 'good.yaml');
    writeFileSync(file, GOOD);
    const result = await runCli(['validate', '--config', file], {});
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('valid (1 jobs, 2 queries)');
  });

  test('hostile files: an alias bomb, a huge name, a huge file; each exit 2 at file:line:col, short, no stack', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hostile-'));
    const write = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const nine = (x: string) => `[${Array(9).fill(x).join(',')}]`;
    const bomb = write(
      'bomb.yaml',
      `a: &a ${nine('"x"')}\nb: &b ${nine('*a')}\nc: &c ${nine('*b')}\nd: &d ${nine('*c')}\njobs: [*d]\n`,
    );
    const cases: [string, RegExp][] = [
      [bomb, /bomb\.yaml:2:8: invalid YAML: its aliases \(\*name\) expand to too much/],
      [
        write(
          'name.yaml',
          `jobs:\n  - { name: ${'x'.repeat(200_000)}, dimensions: [AS], intervals: [1h] }\n`,
        ),
        /name\.yaml:2:13: jobs\[0\]\.name: "x{59}… \(200000 characters\) must be at most 200 characters/,
      ],
      [
        write('huge.yaml', `# ${'x'.repeat(10 * 1024 * 1024)}\njobs: []\n`),
        /huge\.yaml:1:1: the config is 10485772 bytes; a jobs\.yaml may be at most 262144 bytes/,
      ],
    ];
    for (const [file, expected] of cases) {
      const result = await runCli(['validate', '--config', file], {});
      expect(result.stderr).toMatch(expected);
      expect(result.stderr.length).toBeLessThan(600);
      expect(result.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
      expect(result.code).toBe(2);
    }
  });

  test("Radar's region codes and a product list pass", async () => {
    const file = join(dir, 'regions.yaml');
    writeFileSync(file, GOOD + '    filters: { location: [AP, EU], product: [HTTP, ALL] }\n');
    const result = await runCli(['validate', '--config', file], {});
    expect(result).toMatchObject({ code: 0, stderr: '' });
  });

  test('the shipped jobs.yaml passes', async () => {
    expect((await runCli(['validate'], {})).code).toBe(0);
  });

  test.each(BROKEN)('%s: one clear error with file:line:col, no stack trace', async (name, text, message) => {
    const file = join(dir, `${name.replace(/\W+/g, '-')}.yaml`);
    writeFileSync(file, text);
    const result = await runCli(['validate', '--config', file], {});
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(message);
    expect(lines[0]!.startsWith(`${file}:`)).toBe(true);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  test('plan lists the queries and warns when the schedules need more than the rate limit', async () => {
    const file = join(dir, 'busy.yaml');
    writeFileSync(
      file,
      'radar: { rateLimit: 50 }\njobs:\n  - { name: busy, schedule: "*/10 * * * * *", dimensions: [AS, LOCATION], intervals: [15m, 1h] }\n',
    );
    const result = await runCli(['plan', '--config', file], {});
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^busy\/AS\/15m +busy +PERCENTAGE +- +\*\/10 \* \* \* \* \* +1w +1w$/m);
    expect(result.stdout).toMatch(/4 queries; once caught up, about 1\d\d\d requests per hour/);
    // AS: 2 queries × 2 × the top 10 = 40 keys, one request; LOCATION: one request for all.
    expect(result.stdout).toMatch(
      /^names of the AS, LOCATION groups: about 2 requests at the first run \(up to ~80 group keys.*then as many once a week \(0\.3 a day\)/m,
    );
    expect(result.stdout).toMatch(
      /warning: the schedules need more requests than radar.rateLimit allows \(1\d\d\.\d > 50 per 5 minutes\)/,
    );
  });

  test('a missing config file and an unknown option are clear usage errors', async () => {
    const missing = await runCli(['validate', '--config', join(dir, 'nope.yaml')], {});
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.yaml:1:1: cannot read the config: file not found');
    const unknown = await runCli(['once', '--jbo', 'x'], {});
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('error: unknown option --jbo; did you mean --job? (radar-netflows help)\n');
  });
});
