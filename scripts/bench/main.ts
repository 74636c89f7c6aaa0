/**
 * `npm run bench`: measures radar-netflows on this machine against a real InfluxDB (influxd) and the
 * Radar simulator (in its own process), and writes BENCHMARKS.md. Ratios compare runs made side by
 * side in this one run, alternating, because the machine is noisy.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { loadApp } from '../../src/app.js';
import { planBackfill } from '../../src/pipeline/backfill.js';
import { scheduleBudget } from '../../src/service/budget.js';
import { StateStore } from '../../src/state/store.js';
import { ROOT, runCli } from '../../test/harness/cli.js';
import { Influxd } from '../../test/harness/influxd.js';
import { measureCpu } from './cpuCost.js';

const DAY = 86_400_000;
const TOOLS = join(ROOT, 'build-tools', 'scripts', 'bench');
const dir = mkdtempSync(join(tmpdir(), 'bench-'));
const horizon = Math.floor(Date.now() / DAY) * DAY;
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

async function startSimulator(): Promise<{ url: string; token: string; stop: () => void }> {
  const child = spawn(process.execPath, [join(TOOLS, 'simServer.js'), String(horizon)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve) =>
    createInterface({ input: child.stdout }).once('line', resolve),
  );
  return { ...(JSON.parse(line) as { url: string; token: string }), stop: () => child.kill('SIGTERM') };
}

function configFile(name: string, text: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, text);
  return file;
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main(): Promise<void> {
  const influx = await new Influxd().start();
  const sim = await startSimulator();
  const env = (db: string) => ({
    CLOUDFLARE_API_TOKEN: sim.token,
    RADAR_API_URL: sim.url,
    INFLUX_URL: influx.url,
    INFLUX_DATABASE: db,
    STATE_DIR: join(dir, db),
    LOG_LEVEL: 'error',
  });
  const scenario = async (mode: object, flags: string[] = []) =>
    JSON.parse(await node('serviceRun.js', [JSON.stringify(mode)], env(`db${++databases}`), flags)) as Record<
      string,
      number
    >;
  try {
    // 1. Ingest throughput against the ceiling: the same line protocol posted straight to InfluxDB.
    const ingestConfig = configFile(
      'ingest',
      'radar: { rateLimit: 100000, concurrency: 4 }\njobs:\n  - { name: ingest, dimensions: [LOCATION, AS], intervals: [15m], limitPerGroup: 19 }\n',
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
    const service: number[] = [];
    const ceiling: number[] = [];
    let ingestPoints = 0;
    for (let round = 0; round < 3; round++) {
      ceiling.push(lines.length / (await postStraight(influx.url, `ceiling${round}`, lines, 4, 5000)));
      const run = await scenario({ mode: 'backfill', config: ingestConfig, from: ingestFrom, to: horizon });
      ingestPoints = run.points!;
      service.push(run.points! / run.wallSeconds!);
    }

    // 2. CPU cost of parse + flatten + serialise, on one core, with a profile: the median of 3 runs.
    const cpuRuns = [await measureCpu(3), await measureCpu(3), await measureCpu(3)].sort(
      (a, b) => a.pointsPerSecond - b.pointsPerSecond,
    );
    const cpu = { ...cpuRuns[1]!, rounds: cpuRuns.map((c) => c.pointsPerSecond) };

    // 3. Memory: a backfill of over a million points, and 1000 scheduled runs against 10.
    const bigConfig = configFile(
      'big',
      'radar: { rateLimit: 100000, concurrency: 4 }\njobs:\n  - { name: big, dimensions: [LOCATION, AS], intervals: [15m], limitPerGroup: 19 }\n',
    );
    const big = await scenario({
      mode: 'backfill',
      config: bigConfig,
      from: horizon - 365 * DAY,
      to: horizon,
    });
    const newUser = await scenario({
      mode: 'backfill',
      config: ingestConfig,
      from: horizon - 60 * DAY,
      to: horizon,
    });
    const runsConfig = configFile(
      'runs',
      'radar: { rateLimit: 100000, concurrency: 4 }\njobs:\n  - { name: runs, dimensions: [PRODUCT, LOCATION], intervals: [15m, 1h], limitPerGroup: 5, lookback: 1d }\n',
    );
    const runs = await scenario({ mode: 'runs', config: runsConfig, runs: 1000 }, ['--expose-gc']);

    // 4. API efficiency: a year of every dimension × interval of the shipped jobs.yaml's first job.
    const shipped = loadApp(join(ROOT, 'jobs.yaml'), { LOG_LEVEL: 'error', STATE_DIR: join(dir, 'plan') });
    const world = shipped.queries.filter((q) => q.job === shipped.queries[0]!.job);
    const yearFrom = horizon - 365 * DAY;
    const gridMinimum = planBackfill(
      world,
      yearFrom,
      horizon,
      StateStore.openReadOnly(join(dir, 'none')),
      true,
    ).totalWindows;
    const yearConfig = configFile(
      'year',
      `radar: { rateLimit: 100000, concurrency: 4 }\njobs:\n  - { name: ${world[0]!.job}, dimensions: [${[...new Set(world.map((q) => q.dimension))].join(', ')}], intervals: [${[...new Set(world.map((q) => q.interval))].join(', ')}], limitPerGroup: 10 }\n`,
    );
    const year = await scenario({ mode: 'backfill', config: yearConfig, from: yearFrom, to: horizon });
    const apiMaxWindowDays: Record<string, number> = { '15m': 7, '1h': 28, '1d': 364, '1w': 364 };
    const apiMinimum = world.reduce((n, q) => n + Math.ceil(365 / apiMaxWindowDays[q.interval]!) + 1, 0);
    const budget = scheduleBudget(shipped.queries);

    const ratio = median(service) / median(ceiling);
    writeFileSync(
      join(ROOT, 'BENCHMARKS.md'),
      report({
        ingestPoints,
        service,
        ceiling,
        ratio,
        cpu,
        big,
        newUser,
        runs,
        gridMinimum,
        year,
        apiMinimum,
        budget,
        queries: shipped.queries.length,
        lines: lines.length,
      }),
    );
    console.log(
      `wrote BENCHMARKS.md (ingest ratio ${ratio.toFixed(2)}, ${fmt(cpu.pointsPerSecond)} points/s on one core)`,
    );
  } finally {
    sim.stop();
    await influx.destroy();
  }
}

/** Posts lines to a fresh database in batches with `concurrency` writers; returns the seconds taken. */
async function postStraight(
  url: string,
  db: string,
  lines: string[],
  concurrency: number,
  batchSize: number,
): Promise<number> {
  await fetch(`${url}/query?q=${encodeURIComponent(`CREATE DATABASE "${db}"`)}`, { method: 'POST' });
  const batches: string[] = [];
  for (let i = 0; i < lines.length; i += batchSize) batches.push(lines.slice(i, i + batchSize).join('\n'));
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < batches.length) {
        const body = batches[next++]!;
        const res = await fetch(`${url}/write?db=${db}&precision=ms`, { method: 'POST', body });
        if (res.status !== 204) throw new Error(`ceiling write failed: ${res.status} ${await res.text()}`);
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

interface Results {
  ingestPoints: number;
  service: number[];
  ceiling: number[];
  ratio: number;
  cpu: Awaited<ReturnType<typeof measureCpu>> & { rounds: number[] };
  big: Record<string, number>;
  newUser: Record<string, number>;
  runs: Record<string, number>;
  gridMinimum: number;
  year: Record<string, number>;
  apiMinimum: number;
  budget: ReturnType<typeof scheduleBudget>;
  queries: number;
  lines: number;
}

function report(r: Results): string {
  const growth = (r.runs.rssAfter1000MB! / r.runs.rssAfter10MB! - 1) * 100;
  const steady = (r.runs.rssAfter1000MB! / r.runs.rssAfter100MB! - 1) * 100;
  const signed = (pct: number) => `${pct >= 0 ? '+' : ''}${pct.toFixed(1)} %`;
  const cpuPerMillion = (run: Record<string, number>) => (run.cpuSeconds! / run.points!) * 1e6;
  const check = (ok: boolean) => (ok ? 'met' : '**not met**');
  const rows = [
    [
      'Ingest throughput (service / ceiling)',
      `${fmt(median(r.service))} / ${fmt(median(r.ceiling))} points/s = **${r.ratio.toFixed(2)}**`,
      '≥ 0.8',
      check(r.ratio >= 0.8),
    ],
    [
      'Parse + flatten + serialise, one core',
      `**${fmt(r.cpu.pointsPerSecond)}** points/s`,
      '≥ 1,000,000',
      check(r.cpu.pointsPerSecond >= 1e6),
    ],
    [
      `Peak RSS, backfill of ${fmt(r.big.points!)} points`,
      `**${fmt(r.big.maxRssMB!)} MB**`,
      '< 200 MB',
      check(r.big.maxRssMB! < 200),
    ],
    [
      'RSS after 1000 scheduled runs vs after 10',
      `${fmt(r.runs.rssAfter10MB!, 1)} → ${fmt(r.runs.rssAfter1000MB!, 1)} MB = **${growth >= 0 ? '+' : ''}${growth.toFixed(1)} %** (heap ${fmt(r.runs.heapAfter10MB!, 1)} → ${fmt(r.runs.heapAfter1000MB!, 1)} MB; RSS from run 100 on ${signed(steady)})`,
      '< 10 %',
      check(growth < 10),
    ],
    [
      '60-day 15m backfill, 2 dimensions × 20 groups',
      `${fmt(r.newUser.points!)} points, **${cpuPerMillion(r.newUser).toFixed(2)} CPU-s per million**, peak ${fmt(r.newUser.maxRssMB!)} MB`,
      '< 3 CPU-s/M, < 200 MB',
      check(cpuPerMillion(r.newUser) < 3 && r.newUser.maxRssMB! < 200),
    ],
    [
      `Year backfill, ${r.gridMinimum === r.year.requests ? 'every' : 'every'} dimension × interval of the shipped first job`,
      `**${fmt(r.year.requests!)} requests** (grid minimum ${fmt(r.gridMinimum)})`,
      '= grid minimum',
      check(r.year.requests === r.gridMinimum),
    ],
    [
      `Shipped jobs.yaml (${r.queries} queries), once caught up`,
      `**${fmt(r.budget.requestsPerHour)} requests/hour** (${r.budget.requestsPer5Min.toFixed(1)} per 5 min)`,
      `Cloudflare: 14,400/hour (1200 per 5 min)`,
      check(r.budget.requestsPer5Min <= 1200),
    ],
  ];
  return `# Benchmarks

Measured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node.js ${process.version},
InfluxDB 1.6.7 (Debian's influxd) on loopback, the Radar simulator in its own process (responses cached,
so that its CPU does not count). The service runs in a process of its own for each scenario, so CPU
time and peak RSS are its own. The machine is shared and noisy: ratios come from runs made side by side,
alternating, in this one run (3 rounds, medians).

| what | measured | target | |
|---|---|---|---|
${rows.map((row) => `| ${row.join(' | ')} |`).join('\n')}

## Ingest throughput
The service backfills 120 days of 15-minute data for 2 dimensions × 20 groups (${fmt(r.ingestPoints)} points,
${fmt(r.lines)} lines, 240 requests of one day each) from the simulator into a fresh database: request,
validate, flatten, serialise, write, acknowledge, checkpoint. The ceiling posts the very same line
protocol (captured with \`backfill --dry-run\`) straight to InfluxDB in batches of 5000 with 4 writers,
the service's concurrency. Rounds (points/s): service ${r.service.map((v) => fmt(v)).join(', ')}; ceiling ${r.ceiling.map((v) => fmt(v)).join(', ')}.

**Why the ratio is where it is.** The machine has 2 cores, shared by influxd and the service. The ceiling
gives influxd both; the service needs about ${cpuPerMillion(r.newUser).toFixed(1)} CPU-µs per point of its own (see the 60-day
backfill), so while it runs, influxd gets roughly what is left. The service is CPU-bound, not
latency-bound: fetching the next windows while writing the current ones (first one ahead, then up to
\`radar.concurrency\` windows per query in parallel) and saving state off the event loop did not move the
ratio (0.35 before, 0.31–0.35 after, within noise). A CPU profile of the backfill put the service's time
in: the HTTP client (got's per-request option handling, and socket writes of ~140 bytes per point),
\`JSON.parse\` of Radar's answers, joining lines into request bodies, flatten + serialise (about 1 µs per
point, next section) and garbage collection. Writing to InfluxDB 1.x through node's own HTTP client with a
keep-alive agent instead of got took the 60-day backfill from 1.60–1.73 to 1.34–1.45 CPU-s (three runs
each, same machine). This run's ratio: ${r.ratio.toFixed(2)}. Merging the writes of windows that finish together into batches of up to
5000 lines made no measurable difference (1.39–1.55 CPU-s, same wall time) and was left out. Left to
try: build request bodies as Buffers once instead of joining strings.

## CPU cost of parse + flatten + serialise
One response of 50 groups × 2000 hourly buckets (100,000 points) as JSON text, through \`JSON.parse\`,
\`parseRadarResult\`, \`flattenTraffic\` and \`appendSeriesLines\`, repeatedly for 3 s on one core, three times;
points per CPU-second, the median (rounds: ${r.cpu.rounds.map((v) => fmt(v)).join(', ')}). Top self time in a CPU profile
of that loop:

| function | self time |
|---|---|
${r.cpu.topFunctions.map((f) => `| \`${f.name}\` | ${f.selfPercent} % |`).join('\n')}

What got it here (same benchmark, same machine, single runs while developing; the table has this run's median): Point objects serialised one by one,
escaping every tag of every point: 194,000 points/s (escapeKey 55 % of the time); tag escaping cached per
series × group: 582,000; field keys cached and a number fast path: 820,000; flatten into per-group columns
and times converted to text once per series instead of once per point: 1,000,000–1,130,000. The rest is
string building and the garbage it leaves (\`node --max-semi-space-size=64\` raised the same loop to
1.13 M points/s before the last step; it is not set by default).

## Memory
- Backfill of a year of 15-minute data, 2 dimensions × 20 groups: ${fmt(r.big.points!)} points in ${fmt(r.big.requests!)} requests,
  ${r.big.wallSeconds!.toFixed(1)} s, ${r.big.cpuSeconds!.toFixed(1)} CPU-s, peak RSS ${fmt(r.big.maxRssMB!)} MB. Windows are fetched, written and
  forgotten one at a time per query: memory does not grow with the length of history.
- 1000 scheduled runs in a row of 4 queries (PRODUCT and LOCATION × 15m and 1h, the open window each run;
  ${fmt(r.runs.points!)} points, ${fmt(r.runs.requests!)} requests), after a forced GC: heap used ${fmt(r.runs.heapAfter10MB!, 1)} MB after 10 runs,
  ${fmt(r.runs.heapAfter100MB!, 1)} MB after 100, ${fmt(r.runs.heapAfter1000MB!, 1)} MB after 1000; RSS ${fmt(r.runs.rssAfter10MB!, 1)}, ${fmt(r.runs.rssAfter100MB!, 1)} and ${fmt(r.runs.rssAfter1000MB!, 1)} MB.
  The heap, what the service keeps, is flat: no leak. RSS is not: V8's heap statistics (printed every
  100 runs with \`BENCH_TRACE=1\`) show the young generation growing from its initial size to its default
  maximum (2 × 16 MB semi-spaces) as allocation keeps up, and old-space capacity moving between 15 and
  22 MB around 15 MB of live data; the rest of RSS is code and allocator memory. So RSS grows most over
  the first hundred runs, then moves up and down (between about 120 and 140 MB in a trace every 100
  runs); from run 100 to run 1000 in this run: ${signed(steady)}.
  \`MALLOC_ARENA_MAX=2\` did not change it; a smaller \`--max-semi-space-size\` would cap the young
  generation at the price of more GC CPU, which the service is already short of. Not solved: the
  target is not met as worded.

## API efficiency
- A year's backfill of the shipped first job (every dimension × interval): ${fmt(r.year.requests!)} requests; the
  window grid's minimum for that range is ${fmt(r.gridMinimum)} (one request per grid window, no retries needed).
  With the largest windows radar-api.md reports as working (15m in 7 days, 1h in ~28 days, 1d and 1w in
  364 days) the minimum would be about ${fmt(r.apiMinimum)}; the default 1-day windows for 15m data are what
  cost the difference (\`windows: { 15m: 7d }\` in jobs.yaml trades it for larger responses).
- The shipped jobs.yaml (${r.queries} queries) needs about ${fmt(r.budget.requestsPerHour)} requests per hour once caught up, ${r.budget.requestsPer5Min.toFixed(1)} per
  5 minutes, against Cloudflare's 1200 per 5 minutes (${((r.budget.requestsPer5Min / 1200) * 100).toFixed(1)} % of it); up to ${r.budget.burst} fall due at once.
`;
}

await main();
