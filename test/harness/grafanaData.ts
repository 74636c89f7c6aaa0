/**
 * Grafana's own published code, `@grafana/data` (Apache-2.0; the version Grafana 13.2.3 ships, a dev
 * dependency), for the tests and the bench: what Grafana does with frames, intervals and dates, run
 * rather than modelled. Its ES module build is taken where it links (under jest, which links its
 * CommonJS dependencies' named exports); plain node (`npm run bench`) cannot link its import of
 * moment-timezone's `tz`, and takes its CommonJS build instead (which jest in turn cannot load: it
 * requires `marked`, an ES module).
 */
import { createRequire } from 'node:module';

type GrafanaData = typeof import('@grafana/data');

async function load(): Promise<GrafanaData> {
  try {
    return await import('@grafana/data');
  } catch {
    return createRequire(import.meta.url)('@grafana/data') as GrafanaData;
  }
}

export const grafanaData = await load();
