/**
 * The differential test of issue #36: the harness's models of Grafana (test/harness/grafanaTransforms.ts,
 * grafanaDashboard.ts) against Grafana's own code (@grafana/data), on the same frames and inputs;
 * every difference is named.
 */
import { describe, expect, test } from '@jest/globals';
import { trafficDashboard } from '../../../src/grafana/trafficDashboard.js';
import { trendsDashboard } from '../../../src/grafana/trendsDashboard.js';
import { regexEscape, roundInterval } from '../../harness/grafanaDashboard.js';
import { grafanaData } from '../../harness/grafanaData.js';
import { applyTransformations as withGrafana } from '../../harness/grafanaFrames.js';
import { applyTransformations as withModel } from '../../harness/grafanaTransforms.js';

type Json = Record<string, unknown>;
const T0 = Date.UTC(2026, 11, 1);

/** Rows shaped as the dashboards' queries answer: shares per group and time, and the groups' names. */
function fixtureFrames(
  targets: { refId: string; query: string }[],
  named = ['13335', '15169', '16509', '174', 'other'],
): Record<string, unknown>[][] {
  return targets.map(({ query }) => {
    if (query.includes('"radar_names"'))
      return named.map((key, i) => ({
        time: T0,
        group_key: key,
        ...(query.includes('AS "label"') ? { label: key === 'other' ? 'other' : `Name ${key}` } : {}),
        ...(query.includes('AS "name"')
          ? { name: `Name ${key}`, country: 'US', latitude: 10 + i, longitude: 20 + i }
          : {}),
      }));
    const fields = [...query.matchAll(/AS "(\w+)"/g)].map((m) => m[1]!);
    // A query grouped by time, or of raw points, answers a row per time; one grouped by tags alone a row per group.
    const times = /GROUP BY time\(|SELECT "value"/.test(query) ? [0, 1, 2] : [0];
    return times.flatMap((t) =>
      ['13335', '15169', '16509'].map((key, g) => ({
        time: T0 + t * 3_600_000,
        job: 'world',
        series: 'world',
        agg_interval: '1h',
        group_key: key,
        ...Object.fromEntries(fields.map((f, i) => [f, 10 * g + t + i / 10])),
      })),
    );
  });
}

describe('the models against @grafana/data', () => {
  test("interval rounding: the model's roundInterval is rangeUtil.roundInterval on a sweep from 1 ms to 2 years", () => {
    const differences: string[] = [];
    for (let ms = 1; ms < 2 * 365 * 86_400_000; ms = Math.ceil(ms * 1.07))
      if (roundInterval(ms) !== grafanaData.rangeUtil.roundInterval(ms))
        differences.push(
          `${ms}: model ${roundInterval(ms)}, Grafana ${grafanaData.rangeUtil.roundInterval(ms)}`,
        );
    expect(differences).toEqual([]);
  });

  test('regex escaping: every difference between the model and escapeRegex is named', () => {
    const samples = [
      '13335',
      'US',
      'other',
      'a.b',
      'a/b',
      'a-b',
      'x*y',
      '(x)',
      '[x]',
      '{x}',
      'a|b',
      '^$',
      'a\\b',
      "it's",
      '+?',
    ];
    const differences = samples
      .filter((s) => regexEscape(s) !== grafanaData.escapeRegex(s))
      .map((s) => `${s}: model ${regexEscape(s)}, escapeRegex ${grafanaData.escapeRegex(s)}`);
    // The model escapes "-", escapeRegex does not: the same regex outside a character class.
    expect(differences).toEqual(['a-b: model a\\-b, escapeRegex a-b']);
  });

  test("transformations, the one difference: a group drawn without a name is labelled 'undefined' by the model, 'null' through Grafana's frames (a frame holds null where a row has nothing)", async () => {
    const panel = (trafficDashboard() as { panels: Json[] }).panels.find((p) =>
      String(p.title).startsWith('Share of traffic per group'),
    )!;
    const targets = panel.targets as { refId: string; query: string }[];
    const frames = fixtureFrames(targets, ['13335', '15169']); // 16509 is drawn and has no name
    const transformations = panel.transformations as Parameters<typeof withModel>[1];
    const refIds = targets.map((t) => t.refId);
    const labelOf = (out: { labels?: Record<string, string> }[]) =>
      out.find((f) => f.labels?.group_key === '16509')?.labels?.label;
    expect(labelOf(withModel(frames, transformations, refIds))).toBe('undefined');
    expect(labelOf(await withGrafana(frames, transformations, refIds))).toBe('null');
  });

  test('transformations: every shipped panel with transformations gives the same frames under both', async () => {
    const differences: string[] = [];
    for (const dashboard of [trafficDashboard(), trendsDashboard()] as Json[])
      for (const panel of (dashboard.panels as Json[]).flatMap((p) => [p, ...((p.panels as Json[]) ?? [])])) {
        const transformations = (panel.transformations ?? []) as Parameters<typeof withModel>[1];
        if (transformations.length === 0) continue;
        const targets = panel.targets as { refId: string; query: string }[];
        const frames = fixtureFrames(targets);
        const refIds = targets.map((t) => t.refId);
        // The refId Grafana gives a joined frame ("joinByField-A-B") is no model's concern; label and
        // field order are not either.
        const sorted = (o: object | undefined) =>
          o ? Object.fromEntries(Object.entries(o).sort()) : undefined;
        const norm = (out: ReturnType<typeof withModel>) =>
          out.map((f) => ({
            labels: sorted(f.labels && Object.keys(f.labels).length > 0 ? f.labels : undefined),
            rows: f.map((r) =>
              sorted(Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null && v !== undefined))),
            ),
          }));
        const model = norm(withModel(frames, transformations, refIds));
        const grafana = norm(await withGrafana(frames, transformations, refIds));
        if (JSON.stringify(model) !== JSON.stringify(grafana))
          differences.push(
            `${String(panel.title)}: model ${JSON.stringify(model).slice(0, 400)} / Grafana ${JSON.stringify(grafana).slice(0, 400)}`,
          );
      }
    expect(differences).toEqual([]);
  });
});
