/**
 * One benchmark scenario run through the service's own code, in a process of its own so that its CPU
 * time and peak memory are the service's alone. argv[2]: JSON {mode, config, from?, to?, runs?};
 * connection settings come from the environment, as for the CLI. Prints JSON results.
 *   backfill: planBackfill + runBackfill over [from, to), as `radar-netflows backfill` does.
 *   runs:     `runs` scheduled runs of every query in a row, as the daemon's ticks do.
 *   day:      a simulated day of scheduled runs from `from` (a clock the run moves, and the simulator's
 *             data horizon with it, through SIM_CONTROL): first a catch-up run of every query, then
 *             every 15 minutes the queries whose schedule fires then. Reports the cost per tick.
 *             `before: true` runs without the memory of delivered buckets (the code before it).
 */
import v8 from 'node:v8';
import { closePipeline, openPipeline } from '../../src/app/pipeline.js';
import { loadApp } from '../../src/app/config.js';
import { keptPoints } from '../../src/sink/outcome.js';
import { planBackfill, runBackfill } from '../../src/pipeline/backfill.js';
import { runFromCheckpoint } from '../../src/pipeline/scheduledRun.js';
import { runsPerHour } from '../../src/service/budget.js';
import { StateStore } from '../../src/state/store.js';

interface Args {
  mode: 'backfill' | 'runs' | 'day';
  config: string;
  from?: number;
  to?: number;
  runs?: number;
  before?: boolean;
}

const args = JSON.parse(process.argv[2]!) as Args;
/** The real clock, unless a simulated day moves it. */
let simulatedNowMs: number | undefined;
const clock = { nowMs: () => simulatedNowMs ?? Date.now(), monotonicMs: () => performance.now() };
const app = loadApp(args.config, { ...process.env, LOG_LEVEL: 'error' }, clock);
const store = StateStore.open(app.settings.stateDir);
const opened = await openPipeline(app, { dryRun: false, stdout: process.stdout, oneShot: false });
// The release before DeliveredBuckets: every window written in full.
const deps: typeof opened = args.before ? withoutDelivered(opened) : opened;
const gc = (globalThis as { gc?: () => void }).gc;
const rssMB = (): number => {
  gc?.();
  return process.memoryUsage().rss / 1e6;
};
const startWall = performance.now();
const startCpu = process.cpuUsage();
let points = 0;
const samples: Record<string, number> = {};
/**
 * RSS every 10th run after run 100: it moves up and down around its plateau from one run to the next,
 * so besides single samples the means over runs 101–200 and over the last hundred, and the band.
 */
const plateau: { run: number; rssMB: number }[] = [];
if (args.mode === 'backfill') {
  const plan = planBackfill(app.queries, args.from!, args.to!, store, true);
  const outcomes = await runBackfill(plan, deps, store, (result) => (points += keptPoints(result.written)));
  if (!outcomes.every((o) => o.ok))
    throw new Error(`backfill failed: ${outcomes.find((o) => !o.ok)?.error?.message}`);
} else if (args.mode === 'day') {
  Object.assign(samples, await simulatedDay(args.from!));
} else {
  for (let run = 1; run <= args.runs!; run++) {
    const outcomes = await Promise.all(app.queries.map((q) => runFromCheckpoint(q, deps, store)));
    points += outcomes.reduce((n, o) => n + keptPoints(o.written), 0);
    if (run === 10 || run === 100 || run === args.runs) {
      samples[`rssAfter${run}MB`] = rssMB();
      samples[`heapAfter${run}MB`] = process.memoryUsage().heapUsed / 1e6;
    }
    if (run > 100 && run % 10 === 0) plateau.push({ run, rssMB: rssMB() });
    if (process.env.BENCH_TRACE && run % 100 === 0)
      process.stderr.write(
        `run ${run}: rss ${rssMB().toFixed(1)} MB ${JSON.stringify(Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, Math.round(v / 1e6)])))} ${JSON.stringify(Object.fromEntries(v8.getHeapSpaceStatistics().map((sp) => [sp.space_name, Math.round(sp.space_size / 1e6)])))}\n`,
      );
  }
}
await closePipeline(deps);
const cpu = process.cpuUsage(startCpu);
if (args.mode === 'runs') Object.assign(samples, plateauFigures(plateau, args.runs!));
process.stdout.write(
  `${JSON.stringify({
    points,
    requests: deps.limiter.requestsStarted,
    wallSeconds: (performance.now() - startWall) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    ...samples,
  })}\n`,
);

/** Whether a schedule fires at `timeMs`: the schedules measured here fire every n minutes from the hour. */
function firesAt(schedule: string, timeMs: number): boolean {
  const periodMinutes = Math.round(60 / runsPerHour(schedule, 'UTC'));
  return Math.floor(timeMs / 60_000) % periodMinutes === 0;
}

async function simulatedDay(fromMs: number): Promise<Record<string, number>> {
  const control = process.env.SIM_CONTROL!;
  const simulator = async (path: string) =>
    (await (await fetch(`${control}${path}`, { method: 'POST' })).json()) as {
      bytes: number;
      requests: number;
    };
  const at = async (timeMs: number) => {
    simulatedNowMs = timeMs;
    await simulator(`/horizon?ms=${timeMs}`);
  };
  await at(fromMs);
  await Promise.all(app.queries.map((q) => runFromCheckpoint(q, deps, store)));
  const before = await simulator('/stats');
  const cpuBefore = process.cpuUsage();
  let ticks = 0;
  let written = 0;
  let runs = 0;
  for (let timeMs = fromMs + 15 * 60_000; timeMs <= fromMs + 24 * 3_600_000; timeMs += 15 * 60_000) {
    await at(timeMs);
    ticks++;
    const due = app.queries.filter((q) => firesAt(q.schedule, timeMs));
    runs += due.length;
    const outcomes = await Promise.all(due.map((q) => runFromCheckpoint(q, deps, store)));
    if (!outcomes.every((o) => o.ok))
      throw new Error(`a scheduled run failed: ${outcomes.find((o) => !o.ok)?.error?.message}`);
    written += outcomes.reduce((n, o) => n + keptPoints(o.written), 0);
  }
  const cpu = process.cpuUsage(cpuBefore);
  const after = await simulator('/stats');
  return {
    ticks,
    queryRunsPerTick: runs / ticks,
    requestsPerTick: (after.requests - before.requests) / ticks,
    bytesPerTick: (after.bytes - before.bytes) / ticks,
    pointsPerTick: written / ticks,
    cpuSecondsPerTick: (cpu.user + cpu.system) / 1e6 / ticks,
  };
}

/** Mean RSS over runs 101–200 and over the last hundred, and the lowest and highest sample after run 100. */
function plateauFigures(sampled: { run: number; rssMB: number }[], runs: number): Record<string, number> {
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  return {
    rssEarlyMeanMB: mean(sampled.filter((s) => s.run <= 200).map((s) => s.rssMB)),
    rssLateMeanMB: mean(sampled.filter((s) => s.run > runs - 100).map((s) => s.rssMB)),
    rssMinMB: Math.min(...sampled.map((s) => s.rssMB)),
    rssMaxMB: Math.max(...sampled.map((s) => s.rssMB)),
  };
}

function withoutDelivered<T extends { delivered?: unknown }>(pipeline: T): T {
  const { delivered: _, ...rest } = pipeline;
  return rest as T;
}
