/**
 * `npm run preview`: draws docs/dashboard-preview.svg, the "Share of traffic per group" panel of the
 * Radar NetFlows dashboard as it opens (no variable touched, chosen as Grafana chooses them: see
 * test/harness/grafanaDashboard.ts), from the panel's own InfluxQL run against a real InfluxDB that
 * the CLI filled from the Radar simulator with the shipped jobs.yaml (so the picture
 * shows simulated data, shaped as Radar's).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trafficDashboard } from '../src/grafana/trafficDashboard.js';
import { runCli, ROOT } from '../test/harness/cli.js';
import {
  defaultSelection,
  drawDashboard,
  drawnPanels,
  influxDuration,
  interpolate,
  panelIntervalMs,
  variablesOf,
} from '../test/harness/grafanaDashboard.js';
import { Influxd } from '../test/harness/influxd.js';
import { RadarSimulator } from '../test/harness/radarSimulator.js';
import { applyTransformations } from '../test/harness/grafanaTransforms.js';
import { namesSvg, stackedAreaSvg } from './svgChart.js';

const DAY = 86_400_000;

async function main(): Promise<void> {
  const influx = await new Influxd().start();
  const sim = await new RadarSimulator().start();
  try {
    const horizon = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    sim.dataUntilMs = () => horizon;
    const dir = mkdtempSync(join(tmpdir(), 'preview-'));
    const env = {
      CLOUDFLARE_API_TOKEN: sim.token,
      RADAR_API_URL: sim.url,
      INFLUX_URL: influx.url,
      INFLUX_DATABASE: 'preview',
      STATE_DIR: join(dir, 'state'),
    };
    // The shipped jobs.yaml, as a newcomer starts it: the picture is the view they open on.
    const result = await runCli(['once', '--config', join(ROOT, 'jobs.yaml')], env);
    if (result.code !== 0) throw new Error(`once failed: ${result.stderr}`);

    const dashboard = trafficDashboard() as Record<string, unknown>;
    const fromMs = horizon - 7 * DAY;
    const timeFilter = `time >= ${fromMs}ms and time < ${horizon}ms`;
    const run = (q: string) => influx.query(q, 'preview') as Promise<Record<string, unknown>[]>;
    const { selection, options } = await defaultSelection(dashboard, run, timeFilter);
    const [drawn] = drawnPanels(dashboard, selection, options).filter(({ panel }) =>
      panel.title.startsWith('Share of traffic per group'),
    );
    const intervalMs = panelIntervalMs(drawn!.panel, 7 * DAY, undefined);
    const query = interpolate(
      drawn!.panel.targets[0]!.query.replace('$timeFilter', timeFilter).replace(
        '$__interval',
        influxDuration(intervalMs),
      ),
      drawn!.selection,
      variablesOf(dashboard),
    );
    const rows = await influx.query(query, 'preview');
    const times = [...new Set(rows.map((r) => r.time as number))].sort((a, b) => a - b);
    const byGroup = new Map<string, Map<number, number>>();
    for (const row of rows) {
      const group = String(row.group_key);
      if (!byGroup.has(group)) byGroup.set(group, new Map());
      byGroup.get(group)!.set(row.time as number, row.mean as number);
    }
    const series = [...byGroup].map(([name, values]) => ({
      name,
      values: times.map((t) => values.get(t) ?? null),
    }));
    series.sort((a, b) => (a.name === 'other' ? 1 : b.name === 'other' ? -1 : a.name.localeCompare(b.name)));
    const chosen = (name: string) => String((drawn!.selection.get(name) as string[])[0]);
    const svg = stackedAreaSvg(
      'Share of traffic per group',
      `as the dashboard opens: job=${chosen('job')} · dimension=${chosen('dimension')} · ` +
        `interval=${chosen('agg_interval')} · last 7 days · simulated data`,
      times,
      series,
    );
    const out = join(ROOT, 'docs', 'dashboard-preview.svg');
    writeFileSync(out, svg);
    console.log(`wrote ${out}: ${rows.length} rows from the panel's query`);

    // The panels that show names: the top groups table of the AS row and the LOCATION map, their
    // queries and transformations as the dashboard has them (joined as Grafana joins them, modelled).
    const view = { rangeMs: 7 * DAY, maxDataPoints: 1000, minInterval: '1m', nowMs: horizon };
    const named = await drawDashboard(dashboard, run, view, { dimension: ['AS'] });
    const framesOf = (title: string) => {
      const targets = named.panels.filter((p) => p.panel.title.startsWith(title));
      return applyTransformations(
        targets.map((t) => t.rows),
        targets[0]!.panel.transformations!,
      )[0]!;
    };
    const tableRows = framesOf('Top groups by name')
      .map((r) => ({
        name: String(r.Name ?? r.Id),
        share: Number(r['Share now']),
        change:
          typeof r['Change over the range'] === 'number' ? (r['Change over the range'] as number) : null,
      }))
      .sort((a, b) => b.share - a.share);
    const places = framesOf('Map of LOCATION')
      .filter((r) => typeof r.latitude === 'number')
      .map((r) => ({
        name: String(r.name),
        latitude: r.latitude as number,
        longitude: r.longitude as number,
        share: Number(r.share),
      }));
    const namesOut = join(ROOT, 'docs', 'names-preview.svg');
    writeFileSync(
      namesOut,
      namesSvg(
        'Groups by name',
        `the top groups table (AS) and the map of LOCATION shares, from their own queries joined by group_key · simulated data`,
        { title: 'Top groups by name (AS, share now)', rows: tableRows },
        { title: 'Map of LOCATION shares', places },
      ),
    );
    console.log(`wrote ${namesOut}: ${tableRows.length} named groups, ${places.length} places`);
  } finally {
    await Promise.all([influx.destroy(), sim.stop()]);
  }
}

await main();
