/**
 * One benchmark scenario run through the service's own code, in a process of its own so that its CPU
 * time and peak memory are the service's alone. argv[2]: JSON {mode, config, from?, to?, runs?};
 * connection settings come from the environment, as for the CLI. Prints JSON results.
 *   backfill: planBackfill + runBackfill over [from, to), as `radar-netflows backfill` does.
 *   runs:     `runs` scheduled runs of every query in a row, as the daemon's ticks do.
 */
import v8 from 'node:v8';
import { loadApp, openPipeline } from '../../src/app.js';
import { planBackfill, runBackfill } from '../../src/pipeline/backfill.js';
import { runFromCheckpoint } from '../../src/pipeline/scheduledRun.js';
import { StateStore } from '../../src/state/store.js';

interface Args {
  mode: 'backfill' | 'runs';
  config: string;
  from?: number;
  to?: number;
  runs?: number;
}

const args = JSON.parse(process.argv[2]!) as Args;
const app = loadApp(args.config, { ...process.env, LOG_LEVEL: 'error' });
const store = StateStore.open(app.settings.stateDir);
const deps = await openPipeline(app, { dryRun: false, stdout: process.stdout, oneShot: false });
const gc = (globalThis as { gc?: () => void }).gc;
const rssMB = (): number => {
  gc?.();
  return process.memoryUsage().rss / 1e6;
};
const startWall = performance.now();
const startCpu = process.cpuUsage();
let points = 0;
const samples: Record<string, number> = {};
if (args.mode === 'backfill') {
  const plan = planBackfill(app.queries, args.from!, args.to!, store, true);
  const outcomes = await runBackfill(plan, deps, store, (result) => (points += result.points));
  if (!outcomes.every((o) => o.ok))
    throw new Error(`backfill failed: ${outcomes.find((o) => !o.ok)?.error?.message}`);
} else {
  for (let run = 1; run <= args.runs!; run++) {
    const outcomes = await Promise.all(app.queries.map((q) => runFromCheckpoint(q, deps, store)));
    points += outcomes.reduce((n, o) => n + o.points, 0);
    if (run === 10 || run === 100 || run === args.runs) {
      samples[`rssAfter${run}MB`] = rssMB();
      samples[`heapAfter${run}MB`] = process.memoryUsage().heapUsed / 1e6;
    }
    if (process.env.BENCH_TRACE && run % 100 === 0)
      process.stderr.write(
        `run ${run}: rss ${rssMB().toFixed(1)} MB ${JSON.stringify(Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, Math.round(v / 1e6)])))} ${JSON.stringify(Object.fromEntries(v8.getHeapSpaceStatistics().map((sp) => [sp.space_name, Math.round(sp.space_size / 1e6)])))}\n`,
      );
  }
}
await deps.sink.close();
const cpu = process.cpuUsage(startCpu);
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
