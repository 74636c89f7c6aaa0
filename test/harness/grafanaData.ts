/**
 * Grafana's own published code, `@grafana/data` (Apache-2.0; the version Grafana 13.2.3 ships, a dev
 * dependency), for the tests and the bench: what Grafana does with frames, intervals and dates, run
 * rather than modelled. Under jest its ES module build (jest links its CommonJS dependencies' named
 * exports); under plain node (`npm run bench`, `npm run preview`) its CommonJS build, since node cannot
 * link the ES build's import of moment-timezone's `tz` (and jest cannot load the CommonJS build: it
 * requires `marked`, an ES module). Chosen up front: a failed import() leaves `marked` half loaded for
 * a require() after it.
 */
import { createRequire } from 'node:module';

type GrafanaData = typeof import('@grafana/data');

async function load(): Promise<GrafanaData> {
  if (process.env.JEST_WORKER_ID !== undefined) return import('@grafana/data');
  return createRequire(import.meta.url)('@grafana/data') as GrafanaData;
}

export const grafanaData = await load();
