/**
 * `npm run preview`: draws the pictures of docs/ (dashboard-preview.svg, names-preview.svg) into
 * build-tools/preview/, which git does not track (copy them into docs/ to change the shipped ones): the "Share of traffic per group" panel of the
 * Radar NetFlows dashboard as it opens (no variable touched, chosen as Grafana chooses them: see
 * test/harness/grafanaDashboard.ts), its legend named as the panel's transformations name it
 * (run by @grafana/data: test/harness/grafanaFrames.ts), from the panel's own InfluxQL run against a real InfluxDB that
 * the CLI filled from the Radar simulator with the shipped jobs.yaml (so the picture
 * shows simulated data, shaped as Radar's).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trafficDashboard } from '../src/grafana/trafficDashboard.js';
import { runCli, ROOT } from '../test/harness/cli.js';
import { drawDashboard } from '../test/harness/grafanaDashboard.js';
import { Influxd } from '../test/harness/influxd.js';
import { RadarSimulator } from '../test/harness/radarSimulator.js';
import { applyTransformations, fieldDisplayNames } from '../test/harness/grafanaFrames.js';
import { namesSvg, stackedAreaSvg } from './svgChart.js';

/** Where the pictures are drawn: untracked, so that a run never changes the shipped ones by itself. */
const PREVIEW_DIR = join(ROOT, 'build-tools', 'preview');
mkdirSync(PREVIEW_DIR, { recursive: true });

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
    const run = (q: string) => influx.query(q, 'preview') as Promise<Record<string, unknown>[]>;
    const view = { rangeMs: 7 * DAY, maxDataPoints: 1000, minInterval: undefined, nowMs: horizon };
    const opened = await drawDashboard(dashboard, run, view);
    // The first drawn copy of the panel (its row repeats per dimension; one dimension as it opens).
    const copies = opened.panels.filter((p) => p.panel.title.startsWith('Share of traffic per group'));
    const targets = copies.filter((p) => p.row === copies[0]!.row);
    const { panel } = targets[0]!;
    const frames = await applyTransformations(
      targets.map((t) => t.rows),
      panel.transformations!,
      targets.map((t) => t.target.refId),
    );
    const times = [...new Set(frames.flatMap((f) => f.map((r) => r.time as number)))].sort((a, b) => a - b);
    const series = frames.map((frame) => {
      const values = new Map(frame.map((r) => [r.time as number, r.share as number]));
      return {
        name: fieldDisplayNames(frame, panel.fieldConfig!.overrides!).get('share')!,
        values: times.map((t) => values.get(t) ?? null),
      };
    });
    series.sort((a, b) => (a.name === 'other' ? 1 : b.name === 'other' ? -1 : a.name.localeCompare(b.name)));
    const chosen = (name: string) => String((targets[0]!.selection.get(name) as string[])[0]);
    const svg = stackedAreaSvg(
      'Share of traffic per group',
      `as the dashboard opens: job=${chosen('job')} · dimension=${chosen('dimension')} · ` +
        `interval=${chosen('agg_interval')} · last 7 days · legend named by Grafana's transformations · simulated data`,
      times,
      series,
    );
    const out = join(PREVIEW_DIR, 'dashboard-preview.svg');
    writeFileSync(out, svg);
    console.log(`wrote ${out}: ${series.length} series from the panel's queries and transformations`);

    // The panels that show names: the top groups table of the AS row and the LOCATION map, their
    // queries and transformations as the dashboard has them (joined by Grafana's own code).
    const named = await drawDashboard(dashboard, run, view, { dimension: ['AS'] });
    const framesOf = async (title: string) => {
      const targets = named.panels.filter((p) => p.panel.title.startsWith(title));
      return (
        await applyTransformations(
          targets.map((t) => t.rows),
          targets[0]!.panel.transformations!,
          targets.map((t) => t.target.refId),
        )
      )[0]!;
    };
    const tableRows = (await framesOf('Top groups by name'))
      .map((r) => ({
        name: String(r.Name ?? r.Id),
        share: Number(r['Share now']),
        change:
          typeof r['Change over the range'] === 'number' ? (r['Change over the range'] as number) : null,
      }))
      .sort((a, b) => b.share - a.share);
    const places = (await framesOf('Map of LOCATION'))
      .filter((r) => typeof r.latitude === 'number')
      .map((r) => ({
        name: String(r.name),
        latitude: r.latitude as number,
        longitude: r.longitude as number,
        share: Number(r.share),
      }));
    const namesOut = join(PREVIEW_DIR, 'names-preview.svg');
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
