/**
 * The trends dashboard's queries over a year (issue #36): a year of 15m, 1d and 1w LOCATION + AS data
 * backfilled through the CLI into influxd 1.6, then the dashboard opened over that year with one group
 * picked, every query expanded as Grafana expands it (test/harness/grafanaDashboard.ts) and timed as
 * influxd answers it over HTTP, 5 rounds; BENCHMARKS.md gets the medians.
 */
import { cpus } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT, runCli } from '../../test/harness/cli.js';
import { drawDashboard } from '../../test/harness/grafanaDashboard.js';
import type { Influxd } from '../../test/harness/influxd.js';
import { DAY, fmt, median } from './common.js';
import { replaceSection } from './report.js';

const SECTION = '## The trends dashboard over a year (issue #36)';
const ROUNDS = 5;

/** Times of one opening of the dashboard, by what was asked. */
interface Opening {
  variables: number;
  oneGroup: number;
  movers: number;
  all: number;
}

export async function measureTrends(
  influx: Influxd,
  sim: { url: string; token: string },
  stateDir: string,
  configPath: string,
): Promise<void> {
  const db = 'trends';
  writeFileSync(
    configPath,
    'radar: { rateLimit: 100000, concurrency: 4 }\njobs:\n' +
      '  - { name: big, dimensions: [LOCATION, AS], intervals: [15m, 1d, 1w], limitPerGroup: 19 }\n',
  );
  const env = {
    CLOUDFLARE_API_TOKEN: sim.token,
    RADAR_API_URL: sim.url,
    INFLUX_URL: influx.url,
    INFLUX_DATABASE: db,
    STATE_DIR: stateDir,
    LOG_LEVEL: 'error',
  };
  const loaded = await runCli(['backfill', '--from', '365d', '--config', configPath], env);
  if (loaded.code !== 0) throw new Error(`backfill for the trends bench failed: ${loaded.stderr}`);
  const points = Number(
    (await influx.query('SELECT count("value") FROM "radar_netflows"', db))[0]?.count ?? 0,
  );
  const dashboard = JSON.parse(
    readFileSync(join(ROOT, 'grafana/dashboards/radar-netflows-trends.json'), 'utf8'),
  ) as Record<string, unknown>;
  const openings: Opening[] = [];
  let interval = '';
  for (let round = 0; round < ROUNDS; round++) {
    const timed: { query: string; ms: number }[] = [];
    const run = async (query: string) => {
      const start = performance.now();
      const rows = (await influx.query(query, db)) as Record<string, unknown>[];
      timed.push({ query, ms: performance.now() - start });
      return rows;
    };
    const { panels, selection } = await drawDashboard(
      dashboard,
      run,
      { rangeMs: 365 * DAY, maxDataPoints: 1000, minInterval: '1m', nowMs: Date.now() },
      { dimension: ['AS'], job: ['big'] },
    );
    interval = String(selection.get('trend_interval'));
    const panelMs = (title: string) =>
      panels
        .filter((p) => p.panel.title.startsWith(title))
        .reduce((sum, p) => sum + timed.find((t) => t.query === p.query)!.ms, 0);
    const all = timed.reduce((sum, t) => sum + t.ms, 0);
    const drawn = panels.reduce((sum, p) => sum + timed.find((t) => t.query === p.query)!.ms, 0);
    openings.push({
      variables: all - drawn,
      oneGroup: panelMs('Share of'),
      movers: panelMs('Groups whose share moved most'),
      all,
    });
  }
  const mid = (key: keyof Opening) => median(openings.map((o) => o[key]));
  const verdict = mid('oneGroup') < 500 ? '**met**' : '**not met**';
  const section = `${SECTION}
Measured by \`BENCH_ONLY=trends npm run bench\` on ${new Date().toISOString().slice(0, 10)} (${cpus().length} cores, Node.js ${process.version}):
a year of LOCATION + AS at 15m, 1d and 1w (19 groups and \`other\`; ${fmt(points)} points in all) backfilled through
the CLI into influxd 1.6.7, then \`radar-netflows-trends.json\` opened over that year with one AS group picked, every
query expanded as Grafana expands it (the interval the range calls for: ${interval}) and timed from request to
answer over HTTP; medians of ${ROUNDS} openings:

| what | ms |
|---|---|
| the variables (dimension, the two group pickers, job, series, and the interval by the range, which counts the group's points per interval over the year) | ${mid('variables').toFixed(1)} |
| the one-group view (the group and the one compared, as stored) | ${mid('oneGroup').toFixed(1)} |
| the movers table (first, last and change of every group over the year) | ${mid('movers').toFixed(1)} |
| every query of the dashboard, one after another | ${mid('all').toFixed(1)} |

Target, a one-group year view under half a second: ${verdict}. Grafana runs a dashboard's queries side by side,
so the time to a drawn dashboard is nearer its slowest query than the sum.
`;
  replaceSection(SECTION, section);
}
