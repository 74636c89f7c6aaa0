/**
 * Every transformation the shipped dashboards use is one that runs in the tests: Grafana's own
 * (@grafana/data's standardTransformers) or a model of Grafana's app code (test/harness/grafanaFrames.ts:
 * partitionByValues). A dashboard that names any other would be drawn in Grafana in a way no test saw.
 */
import { describe, expect, test } from '@jest/globals';
import { pipelineDashboard } from '../../../src/grafana/pipelineDashboard.js';
import { trafficDashboard } from '../../../src/grafana/trafficDashboard.js';
import { trendsDashboard } from '../../../src/grafana/trendsDashboard.js';
import { applyTransformations, knownTransformation } from '../../harness/grafanaFrames.js';

type Json = Record<string, unknown>;

const panelsOf = (dashboard: Json): Json[] =>
  (dashboard.panels as Json[]).flatMap((p) => [p, ...((p.panels as Json[] | undefined) ?? [])]);

describe('transformations of the shipped dashboards', () => {
  test("each id is Grafana's own or modelled; an id of neither is refused", async () => {
    const ids = new Set<string>();
    for (const dashboard of [trafficDashboard(), pipelineDashboard(), trendsDashboard()] as Json[])
      for (const panel of panelsOf(dashboard))
        for (const { id } of (panel.transformations as { id: string }[] | undefined) ?? []) ids.add(id);
    expect([...ids].sort()).toEqual([
      'calculateField',
      'filterByValue',
      'joinByField',
      'organize',
      'partitionByValues',
    ]);
    for (const id of ids) expect([id, knownTransformation(id)]).toEqual([id, true]);
    expect(knownTransformation('notATransformation')).toBe(false);
    await expect(
      applyTransformations([[{ a: 1 }]], [{ id: 'notATransformation', options: {} }]),
    ).rejects.toThrow(/transformation notATransformation is neither Grafana's nor modelled/);
  });

  test("Grafana's joinByField and organize, run: a table joined by group key, renamed as a table shows it", async () => {
    const [frame] = await applyTransformations(
      [
        [
          { time: 1, group_key: '13335', current: 20 },
          { time: 1, group_key: '15169', current: 10 },
        ],
        [{ time: 0, group_key: '13335', name: 'Cloudflare' }],
      ],
      [
        { id: 'joinByField', options: { byField: 'group_key', mode: 'outer' } },
        {
          id: 'organize',
          options: { excludeByName: { Time: true }, renameByName: { current: 'Share now' } },
        },
      ],
      ['A', 'B'],
    );
    expect(frame!.map((r) => [r.group_key, r['Share now'], r.name])).toEqual([
      ['13335', 20, 'Cloudflare'],
      ['15169', 10, undefined],
    ]);
  });
});
