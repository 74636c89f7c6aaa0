import { describe, expect, test } from '@jest/globals';
import { runCli } from '../harness/cli.js';
import type { Served } from '../harness/radarSimulator.js';
import { useStack } from '../harness/stack.js';

const DAY = 86_400_000;
/** Small windows, so that a few of each interval fit in a short backfill (the 1w window stays 364 days). */
const WINDOWS = { '15m': DAY, '1h': 7 * DAY, '1d': 28 * DAY, '1w': 364 * DAY } as const;
const INTERVAL = { '15m': 900_000, '1h': 3_600_000, '1d': DAY, '1w': 7 * DAY } as const;
type Interval = keyof typeof INTERVAL;

const CONFIG = `
radar: { retryDelayMs: 20 }
windows: { 15m: 1d, 1h: 7d, 1d: 28d, 1w: 364d }
jobs:
  - name: p
    dimensions: [PRODUCT]
    intervals: [15m, 1h, 1d, 1w]
  - name: m
    dimensions: [LOCATION]
    intervals: [15m, 1h, 1d, 1w]
    limitPerGroup: 3
    normalization: MIN0_MAX
`;

const jobOf = (s: Served): string => (s.params.normalization?.[0] === 'MIN0_MAX' ? 'm' : 'p');

/**
 * Radar's `dateEnd` (docs/radar-api.md): the API reference calls it inclusive and Cloudflare's published
 * answers hold the bucket that starts at it; an answer may as well hold `[dateStart, dateEnd)`. Under
 * either, each window lands exactly what Radar served inside it: no failure, no gap, no stray point, and
 * a MIN0_MAX bucket on a window's edge keeps the value of its own window's answer.
 */
describe.each([
  ['inclusive', true],
  ['exclusive', false],
])('dateEnd %s', (_name, inclusive) => {
  const stack = useStack(`dateend-${_name}`, { fixedHorizon: true });
  const { influx, sim } = stack;

  test.each(Object.keys(INTERVAL) as Interval[])(
    'backfill of three %s windows up to now writes every bucket once, from its own window',
    async (interval) => {
      sim.dateEndInclusive = inclusive;
      const horizonMs = sim.dataUntilMs();
      const windowMs = WINDOWS[interval];
      // Weekly windows lie on Radar's Monday weeks (counted from 1970-01-05), the others on the epoch.
      const originMs = interval === '1w' ? 4 * 86_400_000 : 0;
      const fromMs = originMs + Math.floor((horizonMs - originMs) / windowMs) * windowMs - 2 * windowMs;
      const result = await runCli(
        [
          'backfill',
          '--config',
          stack.writeConfig(CONFIG),
          '--interval',
          interval,
          '--from',
          new Date(fromMs).toISOString(),
        ],
        stack.env(),
      );
      expect(result.stderr).not.toMatch(/window failed|malformed/);
      expect(result.code).toBe(0);
      // Each answer held the bucket at its dateEnd (or not), as the convention says.
      const closed = sim.successful.filter(
        (s) => (Date.parse(s.params.dateEnd![0]!) - originMs) % windowMs === 0,
      );
      expect(closed.length).toBeGreaterThan(0);
      for (const s of closed) {
        const stamps = (s.body!.result.serie_0 as { timestamps: string[] }).timestamps;
        expect(stamps.includes(s.params.dateEnd![0]!)).toBe(inclusive);
      }
      await stack.expectMatchesServed(jobOf);

      // No gap: every bucket from the first window's start up to the data horizon, once per group.
      const step = INTERVAL[interval];
      // fromMs starts a bucket of every interval. A weekly range ends on the Monday that starts the
      // current week (Radar adjusts it): only an inclusive end holds that week's partial bucket.
      const partialWeekLeftOut = interval === '1w' && !inclusive ? 1 : 0;
      const buckets = Math.ceil((horizonMs - fromMs) / step) - partialWeekLeftOut;
      const counts = await influx.query(
        `SELECT count(value) FROM radar_netflows WHERE job = 'p' AND agg_interval = '${interval}' AND time >= 0 GROUP BY group_key`,
        stack.db,
      );
      expect(counts.map((row) => [row.group_key, row.count])).toEqual([
        ['HTTP', buckets],
        ['OTHER', buckets],
      ]);
    },
  );
});
