import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipelineDashboard } from './pipelineDashboard.js';
import { trafficDashboard } from './trafficDashboard.js';

/** The dashboards as committed under grafana/dashboards/: file name → JSON text. */
export function renderDashboards(): Record<string, string> {
  return {
    'radar-netflows.json': JSON.stringify(trafficDashboard(), null, 2) + '\n',
    'radar-netflows-pipeline.json': JSON.stringify(pipelineDashboard(), null, 2) + '\n',
  };
}

/** `npm run dashboards`: regenerates grafana/dashboards/ (a test fails when they are out of date). */
export function writeDashboards(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  return Object.entries(renderDashboards()).map(([name, text]) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  });
}

if (process.argv[1]?.endsWith('generate.js')) {
  for (const file of writeDashboards(process.argv[2] ?? 'grafana/dashboards')) console.log(`wrote ${file}`);
}
