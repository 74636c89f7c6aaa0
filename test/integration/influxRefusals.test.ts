import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../harness/cli.js';
import { actualTraffic, compare, expectedFromServed, type PointKey } from '../harness/groundTruth.js';
import { SlowProxy } from '../harness/slowProxy.js';
import { writeLines } from '../harness/influxd.js';
import { useStack, type Stack } from '../harness/stack.js';

const DAY = 86_400_000;
const WEEK = 7 * DAY;

/** One 1h query of LOCATION in 7-day windows: one closed window is one Radar request. */
const config = (limit = '') => `
radar: { retryDelayMs: 20 }
influx: { timeoutMs: 700 }
windows: { 1h: 7d }
jobs:
  - name: refused
    dimensions: [LOCATION]
    intervals: [1h]
${limit}`;

/** A closed grid window ending at least two days ago. */
function closedWindow(): string[] {
  const endMs = Math.floor((Date.now() - 2 * DAY) / WEEK) * WEEK;
  return ['--from', new Date(endMs - WEEK).toISOString(), '--to', new Date(endMs).toISOString()];
}

interface Letter {
  reason: string;
  line?: string;
}
function deadLetters(stack: Stack): Letter[] {
  const file = join(stack.stateDir, 'dead-letters.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Letter);
}

/** InfluxDB holds what Radar served except `refused` (keys of points), and nothing else. */
async function expectServedExcept(stack: Stack, refused: (key: PointKey) => boolean): Promise<number> {
  const expected = expectedFromServed(stack.sim.served, () => 'refused');
  let left = 0;
  for (const key of [...expected.keys()])
    if (refused(key)) {
      expected.delete(key);
      left++;
    }
  expect(compare(expected, await actualTraffic(stack.influx, stack.db))).toEqual({
    lost: [],
    unexpected: [],
    wrong: [],
    duplicates: 0,
  });
  return left;
}

/** InfluxDB 1.6 (a real influxd) refusing in each way it can; writes counted by a proxy in front of it. */
describe('refusals are settled in a few requests, counted as refused, and kept', () => {
  const stack = useStack('refusals', { fixedHorizon: true, influxData: { 'max-values-per-tag': 8 } });
  const { influx, sim } = stack;
  let proxy: SlowProxy;
  beforeAll(async () => {
    proxy = await new SlowProxy(influx.url).start();
  });
  afterAll(() => proxy.stop());
  const env = () => stack.env({ INFLUX_URL: proxy.url });

  test('a retention policy shorter than the backfill: one request per batch, 0 written, exit 1 with the reason', async () => {
    await influx.query(`CREATE DATABASE ${stack.db} WITH DURATION 1h`);
    proxy.writeRequests = 0;
    const result = await runCli(
      ['backfill', '--config', stack.writeConfig(config()), ...closedWindow()],
      env(),
    );
    expect(sim.served).toHaveLength(1);
    const points = 7 * 24 * 20;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `error: ${points} points refused by the database \\(partial write: points beyond retention policy dropped=${points}\\)`,
      ),
    );
    expect(result.stderr).toMatch(new RegExp(`1 windows, 0 points written, ${points} refused`));
    // The traffic, then the window's annotations and record: one request each, nothing halved.
    expect(proxy.writeRequests).toBeLessThanOrEqual(3);
    const record = await influx.query('SELECT points, refused FROM radar_fetches', stack.db);
    expect(record).toEqual([{ time: expect.any(Number), points: 0, refused: points }]);
    const traffic = deadLetters(stack).filter((l) => l.line?.startsWith('radar_netflows,'));
    expect(traffic).toHaveLength(points);
    expect(traffic.every((l) => /beyond retention policy/.test(l.reason))).toBe(true);
  });

  test('a field type conflict in one shard: what InfluxDB kept is counted written, what it dropped refused, exactly', async () => {
    // One string `value` three days back: its shard (a week) takes no float `value` any more.
    const window = closedWindow();
    const conflictMs = Date.parse(window[1]!) - 3 * DAY;
    await influx.query(`CREATE DATABASE ${stack.db}`);
    await writeLines(influx, stack.db, `radar_netflows,job=other value="text" ${conflictMs}`);
    proxy.writeRequests = 0;
    const result = await runCli(['backfill', '--config', stack.writeConfig(config()), ...window], env());
    expect(result.code).toBe(1);
    const written = Number(/1 windows, (\d+) points written, (\d+) refused/.exec(result.stderr)?.[1]);
    const refused = Number(/1 windows, (\d+) points written, (\d+) refused/.exec(result.stderr)?.[2]);
    expect(written + refused).toBe(7 * 24 * 20);
    // InfluxDB holds exactly the points counted as written; the dead letters exactly those refused.
    const held = await influx.query(
      `SELECT count("value") FROM radar_netflows WHERE job = 'refused'`,
      stack.db,
    );
    expect(held[0]?.count).toBe(written);
    expect(written).toBeGreaterThan(0);
    const letters = deadLetters(stack).filter((l) => l.line?.startsWith('radar_netflows,'));
    expect(letters).toHaveLength(refused);
    expect(letters.every((l) => /field type conflict/.test(l.reason))).toBe(true);
    const record = await influx.query('SELECT points, refused FROM radar_fetches', stack.db);
    expect(record).toEqual([{ time: expect.any(Number), points: written, refused }]);
    // Found by halves in time order: a few dozen requests, not one per line.
    expect(proxy.writeRequests).toBeLessThan(60);
  });

  test('max-values-per-tag: the values over the limit are refused, one round each, the others written', async () => {
    // influxd counts a tag's values against those stored before the write (checked against a real
    // server): a first job stores 8 (7 and `other`), the limit.
    const twoJobs = `
radar: { retryDelayMs: 20 }
windows: { 1h: 7d }
jobs:
  - { name: few, dimensions: [LOCATION], intervals: [1h], limitPerGroup: 7 }
  - { name: many, dimensions: [LOCATION], intervals: [1h], limitPerGroup: 10 }
`;
    const configFile = stack.writeConfig(twoJobs);
    expect(
      (await runCli(['backfill', '--config', configFile, '--job', 'few', ...closedWindow()], env())).code,
    ).toBe(0);
    proxy.writeRequests = 0;
    const result = await runCli(
      ['backfill', '--config', configFile, '--job', 'many', ...closedWindow()],
      env(),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /points refused by the database \(partial write: max-values-per-tag limit exceeded/,
    );
    // 10 keys and `other`, 8 of them stored already, a limit of 8: 3 refused, each found in one more
    // request, in the traffic and again in the names (every group written gets a radar_names label).
    expect(proxy.writeRequests).toBeLessThanOrEqual(10);
    const refusedIn = (measurement: string): Set<string> =>
      new Set(
        deadLetters(stack)
          .filter((l) => l.line?.startsWith(`${measurement},`))
          .map((l) => /group_key=([^, ]+)/.exec(l.line!)![1]!),
      );
    const refusedKeys = refusedIn('radar_netflows');
    expect(refusedKeys.size).toBe(3);
    expect([...refusedIn('radar_names')].sort()).toEqual([...refusedKeys].sort());
    const expected = expectedFromServed(stack.sim.served, (s) =>
      s.params.limitPerGroup?.[0] === '7' ? 'few' : 'many',
    );
    let refused = 0;
    for (const key of [...expected.keys()])
      if (key.startsWith('many|') && refusedKeys.has(key.split('|')[3]!)) {
        expected.delete(key);
        refused++;
      }
    expect(refused).toBe(3 * 168);
    expect(compare(expected, await actualTraffic(influx, stack.db))).toEqual({
      lost: [],
      unexpected: [],
      wrong: [],
      duplicates: 0,
    });
  });

  test('a damaged spool segment: the damage goes to the dead letters with its bytes, the rest is written', async () => {
    const configFile = stack.writeConfig(config('    limitPerGroup: 4\n'));
    stack.seedState();
    await influx.stop();
    expect((await runCli(['backfill', '--config', configFile, ...closedWindow()], stack.env())).code).toBe(3);
    await influx.start();
    // 300 bytes of garbage (control bytes and all, no newline) between two lines of the spool.
    const spoolDir = join(stack.stateDir, 'spool');
    const segment = join(spoolDir, readdirSync(spoolDir).sort()[0]!);
    const text = readFileSync(segment);
    const cut = text.indexOf(0x0a, Math.floor(text.length / 2)) + 1;
    const garbage = Buffer.from(
      Array.from({ length: 300 }, (_, i) => [1, 2, 27, 0x41 + (i % 26), 0xff][i % 5]!),
    );
    writeFileSync(
      segment,
      Buffer.concat([text.subarray(0, cut), garbage, Buffer.from('\n'), text.subarray(cut)]),
    );

    const result = await runCli(['once', '--config', configFile], stack.env(), { timeoutMs: 60_000 });
    expect(result.stderr).not.toMatch(/could not be reached/);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /error: InfluxDB refused 1 points waiting in the spool; kept in the dead letters/,
    );
    await expectServedExcept(stack, () => false);
    const damaged = deadLetters(stack).filter((l) => l.line !== undefined && !l.line.startsWith('radar_'));
    expect(damaged).toHaveLength(1);
    expect(damaged[0]!.reason).toMatch(/unable to parse/);
    expect(Buffer.from(damaged[0]!.line!, 'utf8').length).toBeGreaterThanOrEqual(300);
    // The spool is empty: nothing blocks later writes.
    expect(readdirSync(spoolDir).every((f) => readFileSync(join(spoolDir, f)).length === 0)).toBe(true);
  });
});

describe('a series limit, which names no line: narrowed within its bound', () => {
  const stack = useStack('series_limit', {
    fixedHorizon: true,
    influxData: { 'max-series-per-database': 8 },
  });
  const { influx } = stack;
  let proxy: SlowProxy;
  beforeAll(async () => {
    proxy = await new SlowProxy(influx.url).start();
  });
  afterAll(() => proxy.stop());

  test('the series over the limit are refused, the others written, in at most 4 + 2·log2(n+1) more requests', async () => {
    const result = await runCli(
      ['backfill', '--config', stack.writeConfig(config('    limitPerGroup: 10\n')), ...closedWindow()],
      stack.env({ INFLUX_URL: proxy.url }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /refused by the database \(partial write: max-series-per-database limit exceeded/,
    );
    const lines = 11 * 168;
    // The traffic and its narrowing, then the record and annotations (refused too: new series).
    expect(proxy.writeRequests).toBeLessThanOrEqual(1 + 4 + 2 * Math.ceil(Math.log2(lines + 1)) + 4);
    // Every point Radar served is in InfluxDB or kept in the dead letters (a part refused whole past
    // the bound may hold lines InfluxDB did not take: kept, never lost); InfluxDB holds nothing else.
    const expected = expectedFromServed(stack.sim.served, () => 'refused');
    const actual = await actualTraffic(influx, stack.db);
    const kept = new Set(
      deadLetters(stack)
        .filter((l) => l.line?.startsWith('radar_netflows,'))
        .map((l) => {
          const key = /group_key=([^, ]+)/.exec(l.line!)![1]!;
          const time = Number(l.line!.slice(l.line!.lastIndexOf(' ') + 1));
          return `${key}|${time}`;
        }),
    );
    const missing = [...expected.keys()].filter((k) => {
      const parts = k.split('|');
      return !actual.points.has(k) && !kept.has(`${parts[3]}|${parts[6]}`);
    });
    expect(missing).toEqual([]);
    expect([...actual.points.keys()].filter((k) => !expected.has(k))).toEqual([]);
    expect(actual.points.size).toBeGreaterThan(0);
    expect(kept.size).toBeGreaterThan(0);
  });
});
