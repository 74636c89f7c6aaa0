import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../harness/cli.js';
import type { Fault } from '../harness/radarSimulator.js';
import { useStack } from '../harness/stack.js';

const DAY = 86_400_000;
/** One request per run: daily data, whose one 364-day window is the open one. */
const DAILY = `
radar: { retries: 1, retryDelayMs: 20, concurrency: 1 }
jobs:
  - name: ans
    dimensions: [PRODUCT]
    intervals: [1d]
    lookback: 7d
`;
/** Hourly data in 7-day windows (15m data in 1-day windows), for closed windows. */
const HOURLY = `
radar: { retries: 1, retryDelayMs: 20, concurrency: 1 }
windows: { 15m: 1d, 1h: 7d }
jobs:
  - name: ans
    dimensions: [PRODUCT]
    intervals: [1h]
`;

/** Reports the child's peak RSS on stderr as it exits. */
const PEAK_RSS = `--import=data:text/javascript,${encodeURIComponent(
  "process.on('exit',()=>process.stderr.write('peak-rss-kb '+process.resourceUsage().maxRSS+'\\n'))",
)}`;

describe("Radar's answers checked against their window", () => {
  const stack = useStack('answers', { fixedHorizon: true });
  const { influx, sim } = stack;
  const traffic = async () => influx.query('SELECT * FROM radar_netflows', stack.db).catch(() => []);

  test.each<[string, Fault]>([
    ['timestamps a year before the window', { kind: 'shift', byMs: -365 * DAY }],
    ['timestamps in the future', { kind: 'shift', byMs: 30 * DAY }],
    ['a duplicated timestamp', { kind: 'duplicate-timestamp' }],
    ['timestamps off the interval grid', { kind: 'off-grid' }],
    ['timestamps without a zone', { kind: 'no-zone' }],
    ['a weekly answer to a daily request', { kind: 'meta', meta: { aggInterval: 'ONE_WEEK' } }],
    ['raw values where shares were asked for', { kind: 'meta', meta: { normalization: 'RAW_VALUES' } }],
  ])(
    '%s: retried, then the window fails unwritten; good answers later give exactly the good data',
    async (_, fault) => {
      const configFile = stack.writeConfig(DAILY);
      sim.inject(fault, 2);
      const bad = await runCli(['once', '--config', configFile], stack.env({ TZ: 'Asia/Kolkata' }));
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(
        fault.kind === 'meta'
          ? /malformed Radar response: meta\.(aggInterval is "ONE_WEEK", but aggInterval 1d|normalization is "RAW_VALUES", but normalization PERCENTAGE)/
          : /malformed Radar response: series "serie_0"/,
      );
      expect(await traffic()).toEqual([]);
      const good = await runCli(['once', '--config', configFile], stack.env({ TZ: 'Asia/Kolkata' }));
      expect(good.code).toBe(0);
      await stack.expectMatchesServed(() => 'ans');
    },
  );

  test('an empty answer for a closed window is incomplete: written, not final, fetched again until complete', async () => {
    // The day before yesterday: closed and settled, but young enough for Radar to fill it.
    const configFile = stack.writeConfig(HOURLY.replace('[1h]', '[15m]'));
    const dayStart = Math.floor(Date.now() / DAY) * DAY - 2 * DAY;
    const range = [
      '--from',
      new Date(dayStart).toISOString(),
      '--to',
      new Date(dayStart + DAY).toISOString(),
    ];
    sim.inject({ kind: 'empty' });
    const first = await runCli(['backfill', ...range, '--config', configFile], stack.env());
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/window incomplete: Radar's answer lacks 96 buckets/);
    const fetches = await influx.query('SELECT missing_buckets FROM radar_fetches', stack.db);
    expect(fetches.map((r) => r.missing_buckets)).toEqual([96]);
    const again = await runCli(['backfill', ...range, '--config', configFile], stack.env());
    expect(again.code).toBe(0);
    expect(sim.served).toHaveLength(2);
    await stack.expectMatchesServed(() => 'ans');
    const third = await runCli(['backfill', ...range, '--config', configFile], stack.env());
    expect(third.code).toBe(0);
    expect(sim.served).toHaveLength(2);
  });

  /** The window holds exactly these group keys, each with its 168 hourly points. */
  async function expectStored(keys: readonly string[]): Promise<void> {
    const stored = await stack.influx.query(
      'SHOW TAG VALUES FROM radar_netflows WITH KEY = "group_key"',
      stack.db,
    );
    expect(stored.map((k) => k.value).sort()).toEqual([...keys].sort());
    for (const key of keys) {
      const rows = await stack.influx.query(
        `SELECT count(value) FROM radar_netflows WHERE group_key = '${key.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`,
        stack.db,
      );
      expect(rows[0]?.count).toBe(168);
    }
  }

  test('group keys: each stored byte for byte, or dead-lettered with the reason; two keys never become one series', async () => {
    const configFile = stack.writeConfig(HOURLY);
    const weekStart = Math.floor((Date.now() - 21 * DAY) / (7 * DAY)) * 7 * DAY;
    const range = [
      '--from',
      new Date(weekStart).toISOString(),
      '--to',
      new Date(weekStart + 7 * DAY).toISOString(),
    ];
    // PRODUCT has two groups: the simulator renames as many as it has, so two answers' worth of names.
    const storable = ['(empty)', 'key, with=all\\the "specials" ü 東京'];
    const unstorable: [string, RegExp][] = [
      ['line\nbreak', /contains a line break/],
      ['', /tag group_key "" is empty/],
      ['\ud800', /contains a lone UTF-16 surrogate/],
      ['\udc00', /contains a lone UTF-16 surrogate/],
      ['bell\u0007', /contains the control character U\+0007/],
      ['del\u007f', /contains the control character U\+007F/],
    ];
    const keys = [...storable, ...unstorable.map(([key]) => key)];
    for (let i = 0; i < keys.length; i += 2) {
      sim.inject({ kind: 'hostile-keys', keys: keys.slice(i, i + 2) });
      const result = await runCli(['backfill', '--refetch', ...range, '--config', configFile], stack.env());
      // Any refused key makes the command say so (exit 1); the window is still done and checkpointed.
      expect(result.code).toBe(i === 0 ? 0 : 1);
      if (i > 0)
        expect(result.stderr).toMatch(/error: 168 points cannot be stored .*; kept in the dead letters/);
      else await expectStored(storable);
    }
    // Each refetch is the window's newest answer: the storable keys of the first went with the next one.
    await expectStored([]);
    const letters = readFileSync(join(stack.stateDir, 'dead-letters.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as { reason: string; point: { measurement: string; tags: { group_key: string } } },
      );
    for (const [key, reason] of unstorable) {
      const kept = letters.filter((l) => l.point.tags.group_key === key);
      // Its traffic only: a group that cannot be stored gets no radar_names label either.
      expect(kept.filter((l) => l.point.measurement === 'radar_netflows')).toHaveLength(168);
      expect(kept).toHaveLength(168);
      expect(kept.every((l) => reason.test(l.reason))).toBe(true);
    }
    // Every label names a group (a label without a group_key would be read as every group's).
    const labels = await influx.query(
      'SELECT "label" FROM "radar_names" WHERE "dimension" = \'PRODUCT\' GROUP BY "group_key"',
      stack.db,
    );
    expect(new Set(labels.map((r) => r.group_key))).toEqual(new Set(storable));
  });

  test('a series name with a space goes out as %20, as the official SDK sends it, and comes back by name', async () => {
    const configFile = stack.writeConfig(
      DAILY.replace(
        '    lookback: 7d',
        '    lookback: 7d\n    series:\n      - { name: us east, filters: { location: [US] } }',
      ),
    );
    const result = await runCli(['once', '--config', configFile], stack.env());
    expect(result.code).toBe(0);
    expect(sim.served[0]!.rawQuery).toContain('name=us%20east');
    expect(sim.served[0]!.rawQuery).not.toContain('+');
    const series = await influx.query('SHOW TAG VALUES FROM radar_netflows WITH KEY = "series"', stack.db);
    expect(series.map((r) => r.value)).toEqual(['us east']);
  });

  test('an answer of 200,000 groups × 1 bucket (a small body, a huge shape) fails its window clearly, memory bounded', async () => {
    const configFile = stack.writeConfig(DAILY);
    sim.inject({ kind: 'many-groups', groups: 200_000 }, 100);
    const result = await runCli(['once', '--config', configFile], stack.env({ NODE_OPTIONS: PEAK_RSS }));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Radar's answer names 200000 groups in series "serie_0", more than 20000/);
    // Refused at once, not retried: a hostile answer comes back the same.
    expect(sim.served.filter((s) => s.fault === 'many-groups')).toHaveLength(1);
    const peakKb = Number(/peak-rss-kb (\d+)/.exec(result.stderr)?.[1]);
    expect(peakKb).toBeGreaterThan(0);
    expect(peakKb).toBeLessThan(300 * 1024);
  });

  test('a 100 MB answer fails while being read, naming the limit, with memory bounded', async () => {
    const configFile = stack.writeConfig(DAILY);
    sim.inject({ kind: 'huge' }, 2);
    const result = await runCli(['once', '--config', configFile], stack.env({ NODE_OPTIONS: PEAK_RSS }));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /larger than radar.maxResponseBytes \(33554432 bytes\).*raise radar.maxResponseBytes/,
    );
    const peakKb = Number(/peak-rss-kb (\d+)/.exec(result.stderr)?.[1]);
    expect(peakKb).toBeGreaterThan(0);
    expect(peakKb).toBeLessThan(300 * 1024);
  });
});
