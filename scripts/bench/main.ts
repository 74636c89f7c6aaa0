/**
 * `npm run bench`: measures radar-netflows on this machine against a real InfluxDB (influxd) and the
 * Radar simulator (in its own process), prints each target's figure and whether it is met, and
 * writes BENCHMARKS.md. Ratios compare runs made side by side in this one run, alternating, because
 * the machine is noisy.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { loadApp } from '../../src/app/config.js';
import { DEFAULT_RATE_LIMIT } from '../../src/config/settings.js';
import { scheduleBudget } from '../../src/service/budget.js';
import { ROOT } from '../../test/harness/cli.js';
import { Influxd } from '../../test/harness/influxd.js';
import { VictoriaMetrics } from '../../test/harness/victoria.js';
import { cpuSecondsOf, DAY, SERVICE_FLAGS, type Figures } from './common.js';
import { healthzWhileSpooling } from './probes.js';
import { measureTrends } from './trends.js';
import { measureRemovals } from './removals.js';
import { report, writeWritePathsSection, measuredElsewhere, type Results } from './report.js';
import {
  measureDays,
  measureEndToEnd,
  measureIngest,
  measureRequests,
  measureRuns,
  type Bench,
} from './scenarios.js';

const TOOLS = join(ROOT, 'build-tools', 'scripts', 'bench');
const dir = mkdtempSync(join(tmpdir(), 'bench-'));
const horizon = Math.floor(Date.now() / DAY) * DAY;
/** The shipped jobs.yaml, and the year every scenario of a year covers. */
const shippedText = readFileSync(join(ROOT, 'jobs.yaml'), 'utf8');
const shipped = loadApp(join(ROOT, 'jobs.yaml'), { LOG_LEVEL: 'error', STATE_DIR: join(dir, 'plan') });
const yearFrom = horizon - 365 * DAY;
let databases = 0;

function node(
  script: string,
  args: string[],
  env: Record<string, string>,
  flags: string[] = [],
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...flags, join(TOOLS, script), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${script} exited with ${code}`)),
    );
  });
}

async function startSimulator(): Promise<{ url: string; token: string; control: string; stop: () => void }> {
  const child = spawn(process.execPath, [join(TOOLS, 'simServer.js'), String(horizon)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve) =>
    createInterface({ input: child.stdout }).once('line', resolve),
  );
  return {
    ...(JSON.parse(line) as { url: string; token: string; control: string }),
    stop: () => child.kill('SIGTERM'),
  };
}

function configFile(name: string, text: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, text);
  return file;
}

/** How long n requests take at `rate` per 5 minutes: the first span's go at once, each further span waits. */

async function main(): Promise<void> {
  const influx = await new Influxd().start();
  const sim = await startSimulator();
  const env = (db: string) => ({
    CLOUDFLARE_API_TOKEN: sim.token,
    RADAR_API_URL: sim.url,
    SIM_CONTROL: sim.control,
    INFLUX_URL: influx.url,
    INFLUX_DATABASE: db,
    STATE_DIR: join(dir, db),
    LOG_LEVEL: 'error',
  });
  /**
   * A scenario in a process of its own, with influxd's CPU over the same time. It runs with the V8
   * flag the service is started with (the Dockerfile, the systemd unit, the bin on Node.js 22.15+).
   */
  const scenario = async (
    mode: object,
    flags: string[] = [],
    serviceFlags = SERVICE_FLAGS,
    extraEnv: Record<string, string> = {},
  ): Promise<Figures> => {
    const influxBefore = cpuSecondsOf(influx.pid!);
    const figures = JSON.parse(
      await node('serviceRun.js', [JSON.stringify(mode)], { ...env(`db${++databases}`), ...extraEnv }, [
        ...serviceFlags,
        ...flags,
      ]),
    ) as Figures;
    return { ...figures, influxCpuSeconds: cpuSecondsOf(influx.pid!) - influxBefore };
  };
  // The 2.x/3.x write path (/api/v2/write, the same request body) against VictoriaMetrics' real one.
  const vm = await new VictoriaMetrics().start();
  const v2Env = {
    INFLUX_URL: vm.url,
    INFLUX_ORG: 'radar',
    INFLUX_BUCKET: 'radar',
    INFLUX_TOKEN: 'bench-token',
  };
  const fast = 'radar: { rateLimit: 100000, concurrency: 4 }';
  /** A year of 15m LOCATION + AS data, 20 groups (19 and `other`), with `extra` settings. */
  const bigJob = '{ name: big, dimensions: [LOCATION, AS], intervals: [15m], limitPerGroup: 19';
  const bigConfig = (extra: string) =>
    configFile(`big-${extra.length}`, `${fast}\n${extra}\njobs:\n  - ${bigJob} }\n`);
  /** /healthz while `run` catches up on that year with InfluxDB unreachable (see healthzWhileSpooling). */
  const spoolingYear = () =>
    healthzWhileSpooling(
      configFile(
        'spooling',
        `${fast}\nservice: { runOnStart: true }\njobs:\n  - ${bigJob}, lookback: 364d }\n`,
      ),
      { ...env(`db${++databases}`), LOG_LEVEL: 'warn' },
    );
  const bench: Bench = {
    influx,
    sim,
    env,
    scenario,
    vm,
    v2Env,
    fast,
    bigJob,
    bigConfig,
    spoolingYear,
    configFile,
    dir,
    horizon,
    yearFrom,
    shipped,
    shippedText,
  };
  try {
    // BENCH_ONLY=write-paths npm run bench: only the two write paths side by side and /healthz while a
    // year spools (a few minutes; the whole bench takes over an hour, its simulated days waiting on
    // the shipped rate limit), into their section of BENCHMARKS.md.
    // BENCH_ONLY=healthz: only /healthz while a year spools, printed (BENCHMARKS.md untouched);
    // BENCH_SERVICE_NODE_OPTIONS is the service's NODE_OPTIONS (e.g. `--import` of a module that
    // starts node:inspector's profiler: node refuses --cpu-prof there).
    if (process.env.BENCH_ONLY === 'healthz') {
      console.log(JSON.stringify(await spoolingYear()));
      return;
    }
    // BENCH_ONLY=trends: only the trends dashboard's queries over a year, into their section.
    if (process.env.BENCH_ONLY === 'trends') {
      await measureTrends(influx, sim, join(dir, 'trends'), join(dir, 'trends.yaml'));
      return;
    }
    // BENCH_ONLY=removals: a year's backfill as a user who may read (a look before each DELETE) and
    // as one who may only write (the `!=` DELETE every removal sent before), into its section.
    if (process.env.BENCH_ONLY === 'removals') {
      await measureRemovals(sim, join(dir, 'removals'), yearFrom, horizon);
      return;
    }
    if (process.env.BENCH_ONLY === 'write-paths') {
      const v1 = bigConfig('');
      const v2 = bigConfig('influx: { apiVersion: 2 }');
      const from = horizon - 365 * DAY;
      const paths: { v1: Figures[]; v2: Figures[] } = { v1: [], v2: [] };
      for (let round = 0; round < 3; round++) {
        paths.v1.push(await scenario({ mode: 'backfill', config: v1, from, to: horizon }));
        paths.v2.push(
          await scenario({ mode: 'backfill', config: v2, from, to: horizon }, [], SERVICE_FLAGS, v2Env),
        );
      }
      const healthz = [await spoolingYear(), await spoolingYear(), await spoolingYear()];
      writeWritePathsSection(paths, healthz);
      return;
    }
    const { requests, year } = await measureRequests(bench);
    const { days } = await measureDays(bench);
    const endToEnd = await measureEndToEnd(bench);
    const { runs } = await measureRuns(bench);
    const { ingest, lines, pure } = await measureIngest(bench);
    await measureTrends(influx, sim, join(dir, 'trends'), join(dir, 'trends.yaml'));
    const results: Results = {
      requests,
      year,
      rate: {
        default: DEFAULT_RATE_LIMIT,
        shipped: shipped.settings.radar.rateLimitPer5Min,
        cloudflare: 1200,
      },
      days,
      budgetNow: scheduleBudget(shipped.queries),
      ...endToEnd,
      runs,
      ingest,
      lines,
      pure,
      queries: shipped.queries.length,
    };
    const { markdown, rows } = report(results);
    writeFileSync(join(ROOT, 'BENCHMARKS.md'), markdown + measuredElsewhere());
    for (const [what, measured, target, verdict] of rows)
      console.log(
        `${verdict === 'met' ? 'met    ' : 'NOT MET'}  ${what}: ${measured!.replace(/\*\*/g, '')} (target ${target})`,
      );
    console.log('wrote BENCHMARKS.md');
  } finally {
    sim.stop();
    await Promise.all([influx.destroy(), vm.destroy()]);
  }
}

await main();
