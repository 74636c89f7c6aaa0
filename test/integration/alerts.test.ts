import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { PIPELINE_DEFAULTS } from '../../src/grafana/alertRules.js';
import { provisionedGroups, type ProvisionedGroup } from '../../src/grafana/alertProvisioning.js';
import { ruleGroups } from '../../src/grafana/alertRules.js';
import { evaluateRule } from '../harness/alertEval.js';
import { ROOT, runCli, startCli, waitFor } from '../harness/cli.js';
import { GROUP_KEYS, rawTraffic } from '../harness/simData.js';
import { useStack } from '../harness/stack.js';

const HOUR = 3_600_000;
/** The shipped rules, as Grafana reads them: the committed provisioning file. */
const shipped = (
  parse(readFileSync(join(ROOT, 'grafana/provisioning/alerting/radar-netflows-rules.yaml'), 'utf8')) as {
    groups: ProvisionedGroup[];
  }
).groups;
const rulesOf = (groups: ProvisionedGroup[], name: string) => groups.find((g) => g.name === name)!.rules;

describe('traffic alert rules', () => {
  const stack = useStack('alerts', { fixedHorizon: true });
  const { sim, influx } = stack;

  test('an outage of one group fires its share-drop rules, and nothing else fires', async () => {
    // The LOCATION group with the most traffic over the last week (the simulator's traffic is fixed
    // by its seed) loses nearly all of it for the last 3 hours. (A group near the limitPerGroup cut
    // could leave the top 5 of the open window because of the outage, and then have no series.)
    const horizon = sim.dataUntilMs();
    const weekOf = (key: string) =>
      Array.from({ length: 7 * 24 }, (_, h) => rawTraffic('||||', key, horizon - h * HOUR)).reduce(
        (a, b) => a + b,
      );
    const [outage] = [...GROUP_KEYS.LOCATION!].sort((a, b) => weekOf(b) - weekOf(a));
    sim.adjust = ({ dimension, groupKey, timeMs }, value) =>
      dimension === 'LOCATION' && groupKey === outage && timeMs >= horizon - 3 * HOUR ? value * 0.001 : value;
    const config = stack.writeConfig(`
radar: { retryDelayMs: 20 }
jobs:
  - { name: watch, dimensions: [LOCATION, AS], intervals: [15m, 1h], limitPerGroup: 5, lookback: 9d }
  - { name: shape, dimensions: [PRODUCT], intervals: [15m], normalization: MIN0_MAX, lookback: 9d }
`);
    expect((await runCli(['once', '--config', config], stack.env())).code).toBe(0);

    const evaluations = await Promise.all(
      rulesOf(shipped, 'radar-netflows traffic').map(async (rule) => ({
        title: rule.title,
        paused: rule.isPaused,
        ...(await evaluateRule(rule, { url: influx.url, db: stack.db })),
      })),
    );
    const outageLabels = { job: 'watch', series: 'watch', dimension: 'LOCATION', group_key: outage };
    expect(evaluations).toEqual([
      { title: 'Share drop (15m data)', paused: false, firing: [outageLabels], noData: false },
      { title: 'Share drop (1h data)', paused: false, firing: [outageLabels], noData: false },
      // Off by default; they would not fire either: the others' shares rise, but not twofold.
      { title: 'Share surge (15m data)', paused: true, firing: [], noData: false },
      { title: 'Share surge (1h data)', paused: true, firing: [], noData: false },
    ]);
  });

  test('share drop watches from the first days: it fires on the second day after install and the day after a one-day gap in the data', async () => {
    const horizon = sim.dataUntilMs();
    const weekOf = (key: string) =>
      Array.from({ length: 7 * 24 }, (_, h) => rawTraffic('||||', key, horizon - h * HOUR)).reduce(
        (a, b) => a + b,
      );
    const [outage] = [...GROUP_KEYS.LOCATION!].sort((a, b) => weekOf(b) - weekOf(a));
    sim.adjust = ({ dimension, groupKey, timeMs }, value) =>
      dimension === 'LOCATION' && groupKey === outage && timeMs >= horizon - 3 * HOUR ? value * 0.001 : value;
    // young: a job added with two days of history (one previous day at the rule's hours, and a part
    // of the second); gappy: nine days, but nothing from yesterday (a day InfluxDB lost, say).
    const config = stack.writeConfig(`
radar: { retryDelayMs: 20 }
jobs:
  - { name: young, dimensions: [LOCATION], intervals: [15m, 1h], limitPerGroup: 5, lookback: 2d }
  - { name: gappy, dimensions: [LOCATION], intervals: [15m, 1h], limitPerGroup: 5, lookback: 9d }
`);
    expect((await runCli(['once', '--config', config], stack.env())).code).toBe(0);
    const now = Date.now();
    await influx.query(
      `DELETE FROM "radar_netflows" WHERE "job" = 'gappy' AND time >= ${now - 36 * HOUR}ms AND time < ${now - 12 * HOUR}ms`,
      stack.db,
    );
    expect(
      await influx.query(
        `SELECT count("value") FROM "radar_netflows" WHERE "job" = 'gappy' AND time >= ${now - 36 * HOUR}ms AND time < ${now - 12 * HOUR}ms`,
        stack.db,
      ),
    ).toEqual([]);

    const drops = rulesOf(shipped, 'radar-netflows traffic').filter((r) => !r.isPaused);
    expect(drops.map((r) => r.title)).toEqual(['Share drop (15m data)', 'Share drop (1h data)']);
    for (const rule of drops) {
      const evaluation = await evaluateRule(rule, { url: influx.url, db: stack.db }, now);
      expect([rule.title, evaluation]).toEqual([
        rule.title,
        {
          firing: [
            { job: 'gappy', series: 'gappy', dimension: 'LOCATION', group_key: outage },
            { job: 'young', series: 'young', dimension: 'LOCATION', group_key: outage },
          ],
          noData: false,
        },
      ]);
    }
  });

  test('without an outage, no traffic rule fires', async () => {
    const config = stack.writeConfig(`
radar: { retryDelayMs: 20 }
jobs:
  - { name: calm, dimensions: [LOCATION, ADM1], intervals: [15m, 1h], limitPerGroup: 8, lookback: 9d }
  - { name: fresh, dimensions: [LOCATION], intervals: [15m, 1h], limitPerGroup: 5, lookback: 2d }
`);
    expect((await runCli(['once', '--config', config], stack.env())).code).toBe(0);
    // A one-day gap in calm's LOCATION data: the baseline of the other days holds, nothing fires.
    await influx.query(
      `DELETE FROM "radar_netflows" WHERE "job" = 'calm' AND "dimension" = 'LOCATION' AND time >= ${Date.now() - 36 * HOUR}ms AND time < ${Date.now() - 12 * HOUR}ms`,
      stack.db,
    );
    for (const rule of rulesOf(shipped, 'radar-netflows traffic'))
      expect(await evaluateRule(rule, { url: influx.url, db: stack.db })).toEqual({
        firing: [],
        noData: false,
      });
  });
});

describe('pipeline alert rules', () => {
  const stack = useStack('pipeline_alerts', { fixedHorizon: true });
  const { sim, influx } = stack;
  // The shipped rules with times a test can wait for: the same code, shorter parameters.
  const rules = rulesOf(
    provisionedGroups(ruleGroups({ ...PIPELINE_DEFAULTS, spoolWaitS: 4, lookbackS: 30 })),
    'radar-netflows pipeline',
  );
  const rule = (uid: string) => rules.find((r) => r.uid === `radar-pipeline-${uid}`)!;
  const config = () =>
    stack.writeConfig(`
radar: { retries: 0, retryDelayMs: 20 }
service: { statsEveryMs: 300, staleAfter: 1s, graceMs: 2000 }
jobs:
  - { name: pipe, schedule: "*/2 * * * * *", dimensions: [LOCATION, PRODUCT], intervals: [15m], limitPerGroup: 3, lookback: 1d }
`);
  const db = () => ({ url: influx.url, db: stack.db });
  const firingOf = async (uid: string, nowMs?: number) => (await evaluateRule(rule(uid), db(), nowMs)).firing;

  test('a Radar fault: the failing query alerts as failing and stale, the healthy one does not; dead letters alert', async () => {
    sim.refuseDimensions.add('PRODUCT');
    const daemon = startCli(['run', '--config', config()], stack.env({ HTTP_LISTEN: 'off' }));
    try {
      const failing = { job: 'pipe', dimension: 'PRODUCT', agg_interval: '15m' };
      await waitFor(
        'three failed runs of PRODUCT and its staleness in InfluxDB',
        async () => (await firingOf('failing')).length > 0 && (await firingOf('stale')).length > 0,
      );
      expect(await firingOf('failing')).toEqual([failing]);
      expect(await firingOf('stale')).toEqual([failing]);
      expect(await evaluateRule(rule('spool'), db())).toEqual({ firing: [], noData: false });
      expect(await evaluateRule(rule('dead-letters'), db())).toMatchObject({ firing: [] });

      // Radar recovers; then one answer carries a group key line protocol cannot hold.
      sim.refuseDimensions.clear();
      await waitFor('PRODUCT to recover', async () => (await firingOf('failing')).length === 0);
      sim.inject({ kind: 'hostile-keys', keys: ['bad\nkey'] });
      await waitFor('the dead letter alert', async () => (await firingOf('dead-letters')).length > 0);
      expect((await firingOf('dead-letters')).map((l) => Object.keys(l))).toEqual([['instance']]);
      expect(await firingOf('failing')).toEqual([]);
    } finally {
      daemon.child.kill('SIGTERM');
      await daemon.exited;
    }
  });

  test('InfluxDB down: every rule errors (execErrState Alerting); once it is back, the spool rule saw the wait', async () => {
    const daemon = startCli(['run', '--config', config()], stack.env({ HTTP_LISTEN: 'off' }));
    try {
      await waitFor('status points', async () => (await evaluateRule(rule('stale'), db())).noData === false);
      for (const r of rules) expect(await evaluateRule(r, db())).toMatchObject({ firing: [], noData: false });

      await influx.stop();
      for (const r of rules) {
        expect(r.execErrState).toBe('Alerting');
        expect((await evaluateRule(r, db())).error).toMatch(/fetch failed|ECONNREFUSED/);
      }
      await new Promise((r) => setTimeout(r, 6000)); // longer than the spool rule's 4 s
      const backAt = Date.now();
      await influx.start();
      await waitFor('the spool replayed', async () => {
        const r = await evaluateRule(rule('spool'), db(), backAt);
        return r.firing.length > 0;
      });
      // Evaluated when InfluxDB came back (as Grafana would have, had it been able to read): it fires
      // for the service's instance; later, with the spool empty for longer than the rule's time, not.
      expect((await evaluateRule(rule('spool'), db(), backAt)).firing).toHaveLength(1);
      await waitFor('the spool to stay empty', async () => (await firingOf('spool')).length === 0);
      expect(await firingOf('stale')).toEqual([]);
      expect(await firingOf('failing')).toEqual([]);
    } finally {
      daemon.child.kill('SIGTERM');
      await daemon.exited;
    }
  });
});
