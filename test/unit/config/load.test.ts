import { describe, expect, test } from '@jest/globals';
import { ConfigError, parseConfigText } from '../../../src/config/load.js';
import { planQueries } from '../../../src/config/plan.js';
import { resolveSettings } from '../../../src/config/settings.js';

const JOB = `jobs:
  - name: w
    dimensions: [LOCATION, PRODUCT]
    intervals: [15m, 1d]
`;

function problems(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfigText(text, 'jobs.yaml', env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.line}:${p.col} ${p.message}`);
    throw error;
  }
  return [];
}

describe('parseConfigText', () => {
  test('accepts a minimal config', () => {
    expect(problems(JOB)).toEqual([]);
  });

  test('reports every problem, each with its position', () => {
    const found = problems(`jobs:
  - name: w
    dimensions: [CITY]
    intervals: [1h]
    normalization: LOG
`);
    expect(found).toEqual([
      '3:18 jobs[0].dimensions[0]: "CITY" is not allowed; expected one of ADM1, AS, LOCATION, PRODUCT',
      '5:20 jobs[0].normalization: "LOG" is not allowed; expected one of PERCENTAGE, MIN0_MAX',
    ]);
  });

  test('refuses a zone with daylight saving time for a schedule that runs more often than hourly', () => {
    const job = (schedule: string, timezone: string) =>
      `jobs:\n  - name: w\n    dimensions: [PRODUCT]\n    intervals: [1h]\n    schedule: "${schedule}"\n    timezone: ${timezone}\n`;
    const found = problems(job('*/15 * * * *', 'America/New_York'));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(
      /^6:15 jobs\[0\]: timezone "America\/New_York" changes its clocks.*"\*\/15 \* \* \* \*" would not fire for over an hour.*leave timezone out$/,
    );
    expect(problems(job('*/20 * * * * *', 'Europe/Lisbon'))).toHaveLength(1);
    // Hourly or rarer schedules are what a zone is for; a zone without DST never repeats an hour.
    expect(problems(job('0 6 * * *', 'America/New_York'))).toEqual([]);
    expect(problems(job('5 * * * *', 'Europe/Lisbon'))).toEqual([]);
    expect(problems(job('*/15 * * * *', 'Asia/Kolkata'))).toEqual([]);
    expect(problems(job('*/15 * * * *', 'UTC'))).toEqual([]);
    // Without a schedule, the intervals' own decide: 15m data runs every 15 minutes.
    const bare = (intervals: string) =>
      `jobs:\n  - { name: w, dimensions: [PRODUCT], intervals: [${intervals}], timezone: Europe/Lisbon }\n`;
    expect(problems(bare('1h, 1d'))).toEqual([]);
    expect(problems(bare('15m, 1d'))).toHaveLength(1);
  });

  test('cron: a step beyond its field is refused; a valid expression that never fires says so', () => {
    const job = (schedule: string) =>
      `jobs:\n  - name: w\n    dimensions: [PRODUCT]\n    intervals: [1h]\n    schedule: "${schedule}"\n`;
    expect(problems(job('*/61 * * * *'))).toEqual([
      '5:15 jobs[0].schedule: "*/61 * * * *" is not a useful cron expression: the step /61 of the minute field is outside 1-59',
    ]);
    expect(problems(job('0 0 31 2 *'))[0]).toMatch(
      /is a valid cron expression that never fires \(31 2 is an impossible day/,
    );
    expect(problems(job('0 25 * * *'))[0]).toMatch(
      /is not a valid cron expression: 25 is a invalid expression for hour/,
    );
    expect(problems(job('*/15 * * * *'))).toEqual([]);
    expect(problems(job('*/20 * * * * *'))).toEqual([]);
  });

  test('influx.apiVersion may be written as a YAML number', () => {
    expect(problems(`influx: { apiVersion: 2 }\n${JOB}`)).toEqual([]);
    expect(problems(`influx: { apiVersion: 4 }\n${JOB}`)[0]).toMatch(
      /apiVersion: 4 is not allowed; expected one of/,
    );
  });

  test('names allowed keys for an unknown top-level key', () => {
    expect(problems(`job: []\n${JOB}`)[0]).toBe(
      '1:1 job: unknown key "job"; allowed keys: radar, influx, state, service, windows, defaults, jobs',
    );
  });

  test('a wrong type says what was expected', () => {
    expect(problems(`radar: { rateLimit: lots }\n${JOB}`)[0]).toBe(
      '1:21 radar.rateLimit: expected a number, got "lots"',
    );
  });

  test('refuses a duplicate YAML key', () => {
    expect(problems(`${JOB}    intervals: [1h]\n`)[0]).toMatch(/^5:5 invalid YAML: Map keys must be unique/);
  });

  test("refuses a rate limit above Cloudflare's against Cloudflare, allows it for a local endpoint", () => {
    const config = parseConfigText(`radar: { rateLimit: 5000 }\n${JOB}`, 'f', {});
    expect(() => resolveSettings(config, {})).toThrow(
      /radar.rateLimit 5000 is above Cloudflare's 1200 requests per 5 minutes/,
    );
    expect(
      resolveSettings(config, { RADAR_API_URL: 'http://127.0.0.1:8080/client/v4' }).radar.rateLimitPer5Min,
    ).toBe(5000);
  });

  test('refuses a window that is not a whole number of buckets', () => {
    expect(problems(`windows: { 1d: 36h }\n${JOB}`)[0]).toBe(
      '1:16 windows.1d: "36h" is not a whole number of 1d buckets',
    );
  });

  test('refuses listing a dimension twice', () => {
    expect(problems(JOB.replace('PRODUCT]', 'LOCATION]'))[0]).toBe(
      '3:28 jobs[0].dimensions[1]: "LOCATION" is listed twice',
    );
  });

  test('accepts excluded and numeric filter items', () => {
    expect(
      problems(`${JOB}    filters: { location: [-US, PT], asn: [13335, -174], geoId: [2267056] }\n`),
    ).toEqual([]);
    expect(problems(`${JOB}    filters: { asn: [AS13335] }\n`)[0]).toMatch(/"AS13335" is not an AS number/);
  });

  test('interpolates the environment, re-typing whole plain references', () => {
    const config = parseConfigText(
      `radar:\n  rateLimit: \${RATE}\n  url: "\${BASE:-http://x.test}/v4"\n${JOB}`,
      'f',
      { RATE: '120' },
    );
    expect(config.radar).toEqual({ rateLimit: 120, url: 'http://x.test/v4' });
  });

  test('an unset variable without default is an error at its place', () => {
    expect(problems(`${JOB}    lookback: \${LB}\n`)).toEqual([
      '5:15 environment variable LB is not set (write ${LB:-default} for a default)',
    ]);
  });
});

describe('resolveSettings', () => {
  const config = parseConfigText(
    `radar: { token: from-file, url: "http://file.test/" }\ninflux: { database: filedb }\n${JOB}`,
    'f',
    {},
  );

  test('the environment wins over the file', () => {
    const settings = resolveSettings(config, {
      CLOUDFLARE_API_TOKEN: 'from-env',
      INFLUX_DATABASE: 'envdb',
      STATE_DIR: '/state',
    });
    expect(settings.radar.auth).toEqual({ kind: 'token', token: 'from-env' });
    expect(settings.radar.baseUrl).toBe('http://file.test');
    expect(settings.influx.database).toBe('envdb');
    expect(settings.stateDir).toBe('/state');
  });

  test('file values and defaults apply when the environment is silent or empty', () => {
    const settings = resolveSettings(config, { CLOUDFLARE_API_TOKEN: '' });
    expect(settings.radar.auth).toEqual({ kind: 'token', token: 'from-file' });
    expect(settings.influx).toMatchObject({
      database: 'filedb',
      url: 'http://localhost:8086',
      apiVersion: 'auto',
    });
    expect(settings.windowMs['15m']).toBe(7 * 86_400_000);
  });

  test('the email + key pair is used when there is no token', () => {
    const bare = parseConfigText(JOB, 'f', {});
    expect(
      resolveSettings(bare, { CLOUDFLARE_API_EMAIL: 'a@b.c', CLOUDFLARE_API_KEY: 'k' }).radar.auth,
    ).toEqual({ kind: 'key', email: 'a@b.c', key: 'k' });
    expect(resolveSettings(bare, {}).radar.auth).toBeUndefined();
  });
});

describe('planQueries', () => {
  test('expands job × dimension × interval, applying defaults and leaving limitPerGroup off PRODUCT', () => {
    const config = parseConfigText(
      `defaults: { lookback: 2w, normalization: MIN0_MAX, filters: { product: [HTTP] } }\n${JOB}    limitPerGroup: 5\n`,
      'f',
      {},
    );
    const queries = planQueries(config, resolveSettings(config, {}));
    expect(queries.map((q) => q.id)).toEqual([
      'w/LOCATION/15m',
      'w/LOCATION/1d',
      'w/PRODUCT/15m',
      'w/PRODUCT/1d',
    ]);
    expect(queries[0]).toMatchObject({
      limitPerGroup: 5,
      normalization: 'MIN0_MAX',
      lookbackMs: 14 * 86_400_000,
      windowMs: 7 * 86_400_000,
      namedSeries: false,
      series: [{ name: 'w', filters: { product: ['HTTP'] } }],
    });
    expect(queries[2]!.limitPerGroup).toBeUndefined();
  });

  test('a query runs as often as its interval adds a bucket, unless the job or defaults say otherwise', () => {
    const config = parseConfigText(
      'jobs:\n  - { name: a, dimensions: [PRODUCT], intervals: [15m, 1h, 1d, 1w] }\n' +
        '  - { name: b, dimensions: [PRODUCT], intervals: [15m, 1d], schedule: "*/5 * * * *" }\n',
      'f',
      {},
    );
    const schedules = Object.fromEntries(
      planQueries(config, resolveSettings(config, {})).map((q) => [q.id, q.schedule]),
    );
    expect(schedules).toEqual({
      'a/PRODUCT/15m': '*/15 * * * *',
      'a/PRODUCT/1h': '0 * * * *',
      'a/PRODUCT/1d': '0 */6 * * *',
      'a/PRODUCT/1w': '0 */6 * * *',
      'b/PRODUCT/15m': '*/5 * * * *',
      'b/PRODUCT/1d': '*/5 * * * *',
    });
  });

  test('named series inherit the job filters and override them per filter', () => {
    const config = parseConfigText(
      `${JOB}    filters: { product: [ALL], location: [DE] }\n    series:\n      - { name: a, filters: { location: [US] } }\n      - { name: b }\n`,
      'f',
      {},
    );
    const [query] = planQueries(config, resolveSettings(config, {}));
    expect(query!.series).toEqual([
      { name: 'a', filters: { product: ['ALL'], location: ['US'] } },
      { name: 'b', filters: { product: ['ALL'], location: ['DE'] } },
    ]);
    expect(query!.namedSeries).toBe(true);
  });

  test('disabled jobs are left out', () => {
    const config = parseConfigText(`${JOB}    enabled: false\n`, 'f', {});
    expect(planQueries(config, resolveSettings(config, {}))).toEqual([]);
  });
});
