import { describe, expect, test } from '@jest/globals';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ROOT } from '../../harness/cli.js';
import { expandAll } from '../../harness/grafanaProvisioning.js';

/**
 * docs/deployment.md, "Your own Grafana", followed from a clean directory as a reader would, then
 * provisioned through the harness's model of Grafana (values expanded as pkg/services/provisioning
 * does): the datasource resolves, the dashboards folder holds every dashboard, all on one uid.
 */
describe('your own Grafana, the documented path', () => {
  test('copy the datasource and set its variables, copy the dashboards, point the provider at them', () => {
    const grafana = mkdtempSync(join(tmpdir(), 'own-grafana-'));
    const datasources = join(grafana, 'provisioning', 'datasources');
    const providers = join(grafana, 'provisioning', 'dashboards');
    const folder = join(grafana, 'radar-dashboards');
    for (const dir of [datasources, providers, folder]) mkdirSync(dir, { recursive: true });
    // 1. The datasource, its variables in Grafana's environment (the password from a file).
    copyFileSync(
      join(ROOT, 'grafana/provisioning/datasources/influxdb.yaml'),
      join(datasources, 'influxdb.yaml'),
    );
    const env = {
      GRAFANA_INFLUX_URL: 'http://influx.example:8086',
      INFLUX_DATABASE: 'radar',
      GRAFANA_INFLUX_USER: 'reader',
      GRAFANA_INFLUX_PASSWORD: '$__file{/etc/grafana/influx-password}',
    };
    const files = (path: string) => (path === '/etc/grafana/influx-password' ? 'r3ader-pw\n' : undefined);
    // 2. The dashboards into a folder, the provider pointed at it.
    for (const file of readdirSync(join(ROOT, 'grafana/dashboards')))
      copyFileSync(join(ROOT, 'grafana/dashboards', file), join(folder, file));
    const provider = parse(
      readFileSync(join(ROOT, 'grafana/provisioning/dashboards/radar-netflows.yaml'), 'utf8'),
    ) as {
      providers: { options: { path: string } }[];
    };
    provider.providers[0]!.options.path = folder;
    writeFileSync(join(providers, 'radar-netflows.yaml'), stringify(provider));

    // Provisioned as Grafana reads it.
    const source = expandAll(parse(readFileSync(join(datasources, 'influxdb.yaml'), 'utf8')), env, files) as {
      datasources: {
        uid: string;
        url: string;
        user: string;
        jsonData: { dbName: string };
        secureJsonData: { password: string };
      }[];
    };
    expect(source.datasources[0]).toMatchObject({
      url: 'http://influx.example:8086',
      user: 'reader',
      jsonData: { dbName: 'radar' },
      secureJsonData: { password: 'r3ader-pw' },
    });
    const read = expandAll(
      parse(readFileSync(join(providers, 'radar-netflows.yaml'), 'utf8')),
      env,
      files,
    ) as typeof provider;
    const shipped = readdirSync(read.providers[0]!.options.path);
    expect(shipped.sort()).toEqual(readdirSync(join(ROOT, 'grafana/dashboards')).sort());
    // Every panel of every dashboard queries the datasource by the uid it was provisioned with.
    for (const file of shipped) {
      const uids = new Set(
        [...readFileSync(join(folder, file), 'utf8').matchAll(/"uid":\s*"([^"]+)"/g)].map((m) => m[1]),
      );
      expect(uids.has(source.datasources[0]!.uid)).toBe(true);
    }
  });
});
