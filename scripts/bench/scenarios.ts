/**
 * The scenarios `npm run bench` measures, each given the servers and settings main() sets up.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { loadApp } from '../../src/app/config.js';
import type { Query } from '../../src/model/query.js';
import { planBackfill } from '../../src/pipeline/backfill.js';
import { StateStore } from '../../src/state/store.js';
import { runCli } from '../../test/harness/cli.js';
import type { Influxd } from '../../test/harness/influxd.js';
import type { VictoriaMetrics } from '../../test/harness/victoria.js';
import { measureCpu, topSelfTime, type ProfileNode } from './cpuCost.js';
import { DAY, SERVICE_FLAGS, type Figures } from './common.js';
import { postStraight } from './probes.js';

/** The defaults before issue #13: 15m data in 1-day windows, 1h in 7 days, every query every 15 minutes. */
const OLD_WINDOW_DAYS: Record<string, number> = { '15m': 1, '1h': 7, '1d': 364, '1w': 364 };
const OLD_WINDOWS = `windows: { ${Object.entries(OLD_WINDOW_DAYS)
  .map(([interval, days]) => `${interval}: ${days}d`)
  .join(', ')} }`;
const OLD_SCHEDULE = '*/15 * * * *';
/** What every scenario of main() shares: the servers, the environment, how a scenario is run. */
export interface Bench {
  influx: Influxd;
  sim: { url: string; token: string; control: string; stop: () => void };
  env: (db: string) => Record<string, string>;
  scenario: (
    mode: object,
    flags?: string[],
    serviceFlags?: string[],
    extraEnv?: Record<string, string>,
  ) => Promise<Figures>;
  vm: VictoriaMetrics;
  v2Env: Record<string, string>;
  fast: string;
  bigJob: string;
  bigConfig: (extra: string) => string;
  spoolingYear: () => Promise<Figures>;
  /** A jobs file in the bench's folder, by name. */
  configFile: (name: string, text: string) => string;
  /** The bench's temporary folder. */
  dir: string;
  /** The end of every measured range (today, midnight UTC), and the start of a year before it. */
  horizon: number;
  yearFrom: number;
  /** The shipped jobs.yaml, loaded and as text. */
  shipped: ReturnType<typeof loadApp>;
  shippedText: string;
}

export async function measureRequests(bench: Bench) {
  const { scenario, fast, configFile, dir, horizon, yearFrom, shipped, shippedText } = bench;
  // 1. Requests: a year of the shipped jobs.yaml, before (the old default windows, counted on the
  //    grid) and now (counted by the simulator), and of its first job alone (issue #13's 1,688).
  const gridWindows = (queries: readonly Query[]) =>
    planBackfill(queries, yearFrom, horizon, StateStore.openReadOnly(join(dir, 'none')), true).totalWindows;
  const withOldWindows = (queries: readonly Query[]) =>
    queries.map((q) => ({ ...q, windowMs: OLD_WINDOW_DAYS[q.interval]! * DAY }));
  const firstJob = shipped.queries.filter((q) => q.job === shipped.queries[0]!.job);
  const yearConfig = configFile(
    'year',
    shippedText.replace(/^radar:\n(?: {2}.*\n)+/m, `${fast}\n`).replace(/^windows:\n(?: {2}.*\n)+/m, ''),
  );
  const year = await scenario({ mode: 'backfill', config: yearConfig, from: yearFrom, to: horizon });
  const requests = {
    before: gridWindows(withOldWindows(shipped.queries)),
    firstJobBefore: gridWindows(withOldWindows(firstJob)),
    firstJobNow: gridWindows(firstJob),
    grid: gridWindows(shipped.queries),
    measured: year.requests!,
  };
  return { requests, year };
}

export async function measureDays(bench: Bench) {
  const { scenario, configFile, horizon, shippedText } = bench;
  // 2. Steady state: a simulated day of scheduled runs of the shipped jobs.yaml once caught up, with
  //    the old defaults (old windows, every query every 15 minutes, every bucket written) and now.
  const dayBefore = configFile(
    'day-before',
    shippedText
      .replace(/^windows:\n(?: {2}.*\n)+/m, `${OLD_WINDOWS}\n`)
      .replace(/^defaults:\n/m, `defaults:\n  schedule: "${OLD_SCHEDULE}"\n`),
  );
  const dayNow = configFile('day-now', shippedText);
  const dayFrom = horizon - 2 * DAY;
  const days: { before: Figures[]; now: Figures[] } = { before: [], now: [] };
  for (let round = 0; round < 2; round++) {
    days.before.push(await scenario({ mode: 'day', config: dayBefore, from: dayFrom, before: true }));
    days.now.push(await scenario({ mode: 'day', config: dayNow, from: dayFrom }));
  }
  return { days };
}

export async function measureEndToEnd(bench: Bench) {
  const { scenario, v2Env, bigConfig, spoolingYear, dir, horizon, yearFrom } = bench;
  // 3. CPU end to end: a year of 15m LOCATION + AS data, 20 groups, into influxd; the same with 1-day
  //    windows (7 times the requests) to split the cost per request from the cost per point; an empty
  //    run for the start-up cost; then once more under the profiler.
  const bigNow = bigConfig('');
  const bigSmall = bigConfig('windows: { 15m: 1d }');
  const bigV2 = bigConfig('influx: { apiVersion: 2 }');
  const big: { now: Figures[]; small: Figures[]; v2: Figures[] } = { now: [], small: [], v2: [] };
  for (let round = 0; round < 3; round++) {
    big.now.push(await scenario({ mode: 'backfill', config: bigNow, from: yearFrom, to: horizon }));
    big.small.push(await scenario({ mode: 'backfill', config: bigSmall, from: yearFrom, to: horizon }));
    big.v2.push(
      await scenario(
        { mode: 'backfill', config: bigV2, from: yearFrom, to: horizon },
        [],
        SERVICE_FLAGS,
        v2Env,
      ),
    );
  }
  // /healthz while `run` spools a year's catch-up (InfluxDB down): how long its answers take.
  const healthz = await spoolingYear();
  // The V8 flag the service runs with, against node's default young generation, side by side.
  const unflagged: Figures[] = [];
  const flagged: Figures[] = [];
  for (let round = 0; round < 2; round++) {
    unflagged.push(await scenario({ mode: 'backfill', config: bigNow, from: yearFrom, to: horizon }, [], []));
    flagged.push(await scenario({ mode: 'backfill', config: bigNow, from: yearFrom, to: horizon }));
  }
  const empty = await scenario({ mode: 'backfill', config: bigNow, from: horizon, to: horizon });
  const profileDir = join(dir, 'profile');
  await scenario({ mode: 'backfill', config: bigNow, from: yearFrom, to: horizon }, [
    '--cpu-prof',
    `--cpu-prof-dir=${profileDir}`,
  ]);
  const profile = JSON.parse(readFileSync(join(profileDir, readdirSync(profileDir)[0]!), 'utf8')) as {
    nodes: ProfileNode[];
  };
  const endToEndProfile = topSelfTime(profile, 14, true);
  return { big, healthz, flag: { unflagged, flagged }, empty, endToEndProfile };
}

export async function measureRuns(bench: Bench) {
  const { scenario, fast, configFile } = bench;
  // 4. Memory over 1000 scheduled runs.
  const runsConfig = configFile(
    'runs',
    `${fast}\njobs:\n  - { name: runs, dimensions: [PRODUCT, LOCATION], intervals: [15m, 1h], limitPerGroup: 5, lookback: 1d }\n`,
  );
  const runs = await scenario({ mode: 'runs', config: runsConfig, runs: 1000 }, ['--expose-gc']);
  return { runs };
}

export async function measureIngest(bench: Bench) {
  const { influx, env, scenario, fast, configFile, horizon } = bench;
  // 5. The earlier targets, kept for comparison: ingest against a ceiling, and the pure CPU cost.
  const ingestConfig = configFile(
    'ingest',
    `${fast}\njobs:\n  - { name: ingest, dimensions: [LOCATION, AS], intervals: [15m], limitPerGroup: 19 }\n`,
  );
  const ingestFrom = horizon - 120 * DAY;
  const dry = await runCli(
    [
      'backfill',
      '--config',
      ingestConfig,
      '--from',
      new Date(ingestFrom).toISOString(),
      '--to',
      new Date(horizon).toISOString(),
      '--dry-run',
    ],
    env('dry'),
    { timeoutMs: 600_000 },
  );
  const lines = dry.stdout.split('\n').filter((l) => l.startsWith('radar_netflows,'));
  const ingest: { service: number[]; ceiling: number[] } = { service: [], ceiling: [] };
  for (let round = 0; round < 3; round++) {
    ingest.ceiling.push(lines.length / (await postStraight(influx.url, `ceiling${round}`, lines, 4, 5000)));
    const run = await scenario({ mode: 'backfill', config: ingestConfig, from: ingestFrom, to: horizon });
    ingest.service.push(run.points! / run.wallSeconds!);
  }
  const cpuRuns = [await measureCpu(3), await measureCpu(3), await measureCpu(3)].sort(
    (a, b) => a.pointsPerSecond - b.pointsPerSecond,
  );
  const pure = { ...cpuRuns[1]!, rounds: cpuRuns.map((c) => c.pointsPerSecond) };
  return { ingest, lines: lines.length, pure };
}
