import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { renderAlerting } from './alertProvisioning.js';
import { pipelineDashboard } from './pipelineDashboard.js';
import { trafficDashboard } from './trafficDashboard.js';
import { trendsDashboard } from './trendsDashboard.js';

/** The dashboards as committed under grafana/dashboards/: file name → JSON text. */
export function renderDashboards(): Record<string, string> {
  return {
    'radar-netflows.json': JSON.stringify(trafficDashboard(), null, 2) + '\n',
    'radar-netflows-pipeline.json': JSON.stringify(pipelineDashboard(), null, 2) + '\n',
    'radar-netflows-trends.json': JSON.stringify(trendsDashboard(), null, 2) + '\n',
  };
}

/** Writes files into `dir`; returns their paths. */
function writeAll(dir: string, files: Record<string, string>): string[] {
  mkdirSync(dir, { recursive: true });
  return Object.entries(files).map(([name, text]) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  });
}

/** `npm run dashboards`: regenerates grafana/dashboards/ (a test fails when they are out of date). */
export function writeDashboards(dir: string): string[] {
  return writeAll(dir, renderDashboards());
}

/** `npm run dashboards` also regenerates the alerting files under grafana/ (tested the same way). */
export function writeAlerting(grafanaDir: string): string[] {
  return Object.entries(renderAlerting()).map(([path, text]) => {
    const [dir, name] = [dirname(join(grafanaDir, path)), basename(path)];
    return writeAll(dir, { [name]: text })[0]!;
  });
}

if (process.argv[1]?.endsWith('generate.js')) {
  const written = [
    ...writeDashboards(process.argv[2] ?? 'grafana/dashboards'),
    ...writeAlerting(process.argv[3] ?? 'grafana'),
  ];
  for (const file of written) console.log(`wrote ${file}`);
}
