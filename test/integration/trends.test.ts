/**
 * The trends dashboard (issue #36) against a real InfluxDB: two years backfilled through the CLI, the
 * dashboard opened over a year with one group picked, every query expanded as Grafana expands it
 * (test/harness/grafanaDashboard.ts; time shifts by @grafana/data's dateMath), and its answers held
 * against what InfluxDB stores.
 */
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runCli } from '../harness/cli.js';
import { drawDashboard, type DashboardView, type Panel } from '../harness/grafanaDashboard.js';
import { actualTraffic, pointKey } from '../harness/groundTruth.js';
import { useStack } from '../harness/stack.js';

type Json = Record<string, unknown>;
const DAY_MS = 86_400_000;
const TRENDS = JSON.parse(
  readFileSync(join(ROOT, 'grafana/dashboards/radar-netflows-trends.json'), 'utf8'),
) as Json;

const CONFIG = `
radar: { retryDelayMs: 10 }
jobs:
  - name: world
    dimensions: [LOCATION, AS]
    intervals: [1d, 1w]
    limitPerGroup: 5
    trafficLevel: true
  - name: eu
    dimensions: [LOCATION]
    intervals: [1d]
    limitPerGroup: 3
    filters: { continent: [EU] }
`;

const view = (rangeMs: number): DashboardView => ({
  rangeMs,
  maxDataPoints: 1000,
  minInterval: '1m',
  nowMs: Date.now(),
});

describe('the trends dashboard', () => {
  const stack = useStack('trends', { fixedHorizon: true });
  const { influx } = stack;
  const run = (query: string) => influx.query(query, stack.db) as Promise<Record<string, unknown>[]>;
  const panelTitled = (panels: { panel: Panel; rows: Record<string, unknown>[] }[], start: string) =>
    panels.filter((p) => p.panel.title.startsWith(start));

  test('after backfill --from 730d, a year with one group picked: every query answers, with the stored shares, at the interval the range calls for', async () => {
    const config = stack.writeConfig(CONFIG);
    const backfill = await runCli(['backfill', '--from', '730d', '--config', config], stack.env());
    expect(backfill.code).toBe(0);
    const [group] = (
      await run(
        `SHOW TAG VALUES FROM "radar_netflows" WITH KEY = "group_key" WHERE "job" = 'world' AND "dimension" = 'LOCATION' AND "group_key" != 'other'`,
      )
    ).map((r) => String(r.value));
    const { selection, panels } = await drawDashboard(TRENDS, run, view(365 * DAY_MS), {
      dimension: ['LOCATION'],
      group: [group!],
      job: ['world'],
    });
    // A year of daily shares is 365 points, under the dashboard's 400: daily, not weekly or hourly.
    expect(selection.get('trend_interval')).toEqual(['1d']);
    expect(selection.get('series')).toEqual(['world']);
    for (const { panel, query, rows } of panels)
      expect([panel.title, query, rows.length > 0]).toEqual([panel.title, query, true]);
    expect(panels.length).toBeGreaterThanOrEqual(7);

    // The shares drawn are the stored ones, point for point, of the group and the one compared.
    const stored = (await actualTraffic(influx, stack.db)).points;
    const shares = panelTitled(panels, 'Share of').concat(panelTitled(panels, '$group a year before'));
    let checked = 0;
    for (const { rows } of shares.filter((p) => p.rows.some((r) => 'share' in r)))
      for (const r of rows.filter((row) => 'share' in row)) {
        const tags = {
          job: String(r.job),
          series: String(r.series),
          dimension: 'LOCATION',
          group_key: String(r.group_key),
          agg_interval: String(r.agg_interval),
          normalization: 'PERCENTAGE',
        };
        expect([tags, r.time, r.share]).toEqual([tags, r.time, stored.get(pointKey(tags, Number(r.time)))]);
        checked++;
      }
    expect(checked).toBeGreaterThan(2 * 360);
    // The movers: start, end and the move between them; the largest move first once sorted.
    const [movers] = panelTitled(panels, 'Groups whose share moved most');
    for (const r of movers!.rows.filter((row) => 'moved' in row)) {
      expect(Number(r.change)).toBeCloseTo(Number(r.last) - Number(r.first), 9);
      expect(Number(r.moved)).toBeCloseTo(Math.abs(Number(r.change)), 9);
    }
    // Two years backfilled: no history missing in the range; the traffic level, an index up to 1.
    const [missing] = panelTitled(panels, 'History missing');
    expect(Number(missing!.rows[0]!.missing)).toBeLessThanOrEqual(0);
    const [level] = panelTitled(panels, 'Traffic level');
    expect(level!.rows.length).toBeGreaterThan(300);
    for (const r of level!.rows) expect(Number(r.level)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...level!.rows.map((r) => Number(r.level)))).toBeLessThanOrEqual(1);

    // Two years: weekly.
    const twoYears = await drawDashboard(TRENDS, run, view(2 * 365 * DAY_MS), {
      dimension: ['LOCATION'],
      group: [group!],
      job: ['world'],
    });
    expect(twoYears.selection.get('trend_interval')).toEqual(['1w']);
  });

  test('a fresh service: the missing history is said, and the backfill command shown is one the CLI takes; a group outside the top N is named as such', async () => {
    const config = stack.writeConfig(CONFIG);
    expect((await runCli(['once', '--config', config], stack.env())).code).toBe(0);
    const picked = { dimension: ['LOCATION'], job: ['world'] };
    const { selection, panels } = await drawDashboard(TRENDS, run, view(365 * DAY_MS), picked);
    const [missing] = panelTitled(panels, 'History missing');
    // The first daily window fetched starts about three months back (a 7-day look-back on the 84-day grid).
    expect(Number(missing!.rows[0]!.missing)).toBeGreaterThan(200 * DAY_MS);
    const help = (TRENDS.panels as (Panel & { options?: { content?: string } })[]).find((p) =>
      p.title.startsWith('Filling the history'),
    )!;
    const command = /`npx --no radar-netflows (backfill [^`]+)`/.exec(help.options!.content!)![1]!;
    const filled = command
      .replace('$job', (selection.get('job') as string[])[0]!)
      .replace('$dimension', 'LOCATION')
      .replace('$trend_interval', (selection.get('trend_interval') as string[])[0]!)
      .replace('${__from:date:YYYY-MM-DD}', new Date(Date.now() - 365 * DAY_MS).toISOString().slice(0, 10));
    const dry = await runCli([...filled.split(' '), '--dry-run', '--config', config], stack.env());
    expect([filled, dry.code]).toEqual([filled, 0]);
    // A country only the eu job stores (outside the world job's top 5): the world job has no point of it,
    // and the stat says why instead of an empty panel.
    const worldKeys = new Set(
      (
        await run(
          `SHOW TAG VALUES FROM "radar_netflows" WITH KEY = "group_key" WHERE "job" = 'world' AND "dimension" = 'LOCATION'`,
        )
      ).map((r) => String(r.value)),
    );
    const euOnly = (
      await run(`SHOW TAG VALUES FROM "radar_netflows" WITH KEY = "group_key" WHERE "job" = 'eu'`)
    )
      .map((r) => String(r.value))
      .find((key) => !worldKeys.has(key));
    expect(euOnly).toBeDefined();
    const outside = await drawDashboard(TRENDS, run, view(365 * DAY_MS), { ...picked, group: [euOnly!] });
    const [points] = panelTitled(outside.panels, 'Points of $group');
    expect(points!.rows).toEqual([]);
    expect(points!.panel.fieldConfig?.defaults?.noValue).toMatch(/outside the top N/);
  });
});
