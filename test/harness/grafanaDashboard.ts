/**
 * What Grafana does with a dashboard JSON before any query reaches InfluxDB, modelled from Grafana's
 * own code so that a test can open a shipped dashboard the way a user does, without Grafana:
 *
 * - variable defaults: with no `current` value, a variable with `includeAll` starts on All and any
 *   other on its first option (public/app/features/dashboard-scene/utils/variables.ts:
 *   `defaultToAll: Boolean(variable.includeAll)`; scenes' MultiValueVariable falls back to the first
 *   option when the current value is not one of the options);
 * - interpolation into InfluxQL: a multi-value or All variable becomes a regex group of its escaped
 *   values, All its `allValue` when it has one (public/app/plugins/datasource/influxdb/datasource.ts,
 *   interpolateQueryExpr);
 * - `$__interval`: the range over the panel's data points, rounded, never below the panel's own
 *   minimum interval, or the datasource's `jsonData.timeInterval` without one (scenes'
 *   SceneQueryRunner: `lowerIntervalLimit = minInterval ? minInterval : ds.interval`), computed by
 *   Grafana's own rangeUtil.calculateInterval (@grafana/data);
 * - repeated rows: a row with `repeat` is drawn once per selected value of that variable, its panels
 *   (those after it up to the next row) seeing that one value;
 * - field overrides: matched by Grafana's own field matchers (@grafana/data fieldMatchers: `byName`
 *   a series' display name (its alias) or field name, `byRegexp`, `byFrameRefID`, `byType`).
 */

import type { FieldType } from '@grafana/data';
import { grafanaData } from './grafanaData.js';
import { seriesIndexOf } from './influxd.js';

const { dateMath, dateTime, fieldMatchers, rangeUtil } = grafanaData;

type Json = Record<string, unknown>;
export type Selection = Map<string, string[] | 'All'>;
export interface Panel {
  title: string;
  type: string;
  interval?: string;
  /** Grafana's panel time shift ("1y"): the panel's range moved back by it. */
  timeShift?: string;
  targets: { refId: string; query: string; alias?: string; resultFormat?: string }[];
  fieldConfig?: {
    defaults?: Json;
    overrides?: { matcher: { id: string; options: string }; properties: { id: string; value: unknown }[] }[];
  };
  transformations?: {
    id: string;
    filter?: { id: string; options: unknown };
    options: Record<string, unknown>;
  }[];
}

/** Grafana's regex escaping of a variable value (kbn/escapeRegex). */
export const regexEscape = (value: string): string => value.replace(/[\\^$*+?.()|[\]{}/-]/g, '\\$&');

interface Variable {
  name: string;
  query: string;
  regex?: string;
  includeAll?: boolean;
  multi?: boolean;
  allValue?: string;
  sort?: number;
}

/** An option of a variable: what the picker shows and what it stands for in a query. */
export interface VariableOption {
  text: string;
  value: string;
}

export const variablesOf = (dashboard: Json): Variable[] =>
  ((dashboard.templating as Json).list as Variable[] | undefined) ?? [];

/** Replaces $name and ${name} of the selected variables, as Grafana interpolates InfluxQL. */
export function interpolate(query: string, selection: Selection, variables: Variable[]): string {
  return query.replace(/\$\{(\w+)\}|\$(\w+)/g, (match, braced?: string, bare?: string) => {
    const name = (braced ?? bare)!;
    const selected = selection.get(name);
    if (selected === undefined) return match;
    if (selected === 'All') {
      const variable = variables.find((v) => v.name === name);
      if (variable?.allValue) return variable.allValue;
    }
    const values = selected === 'All' ? [] : selected;
    return `(${values.map(regexEscape).join('|')})`;
  });
}

/**
 * The strings a variable's query finds, as two lines of Grafana read them. Grafana's backend answers an
 * InfluxQL variable query with one data frame per InfluxDB series (pkg/tsdb/influxdb/influxql/
 * converter/converter.go: a series with a time column gives a frame per value column; a SHOW query's
 * series one frame of its `value` column). Grafana's current datasource.ts (toMetricFindValue) takes
 * the first string field (else the first field that is not time) of every frame, each value once;
 * earlier ones in the backend mode (metricFindQuery: `frameToMetricFindValue(rsp.data[0])`, read in
 * a Grafana 10/11 build; which release changed it was not found, so the shipped 12.3 may be either)
 * read the first frame only. A shipped variable must offer the same under both: a query that groups
 * by a tag answers one series per tag value, and the older line would offer its first value alone.
 */
function foundValues(
  rows: Record<string, unknown>[],
  query: string,
): { allFrames: string[]; firstFrame: string[] } {
  const show = /^\s*SHOW\b/i.test(query);
  // The outer query's GROUP BY: a subquery's tags are columns of the outer query's one series.
  const outer = query.slice(query.lastIndexOf(')') + 1);
  const groupBy = /\bGROUP BY\s+(.*?)(?:\s+(?:ORDER|LIMIT|SLIMIT|fill)\b|$)/i.exec(outer)?.[1] ?? '';
  const tags = new Set([...groupBy.matchAll(/"([^"]+)"|(\w+)/g)].map((m) => m[1] ?? m[2]!));
  const found = rows.flatMap((row) => {
    const value = show
      ? String(row.value)
      : (Object.entries(row).find(
          ([column, v]) => column !== 'time' && !tags.has(column) && typeof v === 'string',
        )?.[1] as string | undefined);
    return value === undefined ? [] : [{ value, series: seriesIndexOf(row) ?? 0 }];
  });
  return {
    allFrames: [...new Set(found.map((f) => f.value))],
    firstFrame: [...new Set(found.filter((f) => f.series === 0).map((f) => f.value))],
  };
}

/**
 * A variable's `regex` applied to the found strings, as scenes does (variants/query/utils.ts,
 * metricNamesToVariableValues): a string that does not match is dropped; named groups `text` and
 * `value` make the option's two halves, else the first group (or the match) is both; the first option
 * of each value is kept; `sort` 1 orders by text.
 */
function toOptions(found: string[], regex: string | undefined, sort: number | undefined): VariableOption[] {
  const pattern = regex ? /^\/(.*)\/(\w*)$/.exec(regex) : null;
  const matcher = pattern ? new RegExp(pattern[1]!, pattern[2]) : regex ? new RegExp(regex) : undefined;
  const options: VariableOption[] = [];
  const seen = new Set<string>();
  for (const text of found) {
    let option: VariableOption = { text, value: text };
    if (matcher) {
      const match = matcher.exec(text);
      if (!match) continue;
      const groups = match.groups ?? {};
      const value = groups.value ?? groups.text ?? match[1] ?? match[0];
      option = { text: groups.text ?? groups.value ?? value, value };
    }
    if (seen.has(option.value)) continue;
    seen.add(option.value);
    options.push(option);
  }
  return sort === 1 ? options.sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0)) : options;
}

/** The options a variable offers, narrowed by the selection of the variables before it. */
export async function optionsOf(
  variable: Variable,
  selection: Selection,
  variables: Variable[],
  run: (query: string) => Promise<Record<string, unknown>[]>,
  timeFilter: string,
): Promise<VariableOption[]> {
  const query = interpolate(variable.query.replace(/\$timeFilter/g, timeFilter), selection, variables);
  const { allFrames, firstFrame } = foundValues(await run(query), query);
  const options = toOptions(allFrames, variable.regex, variable.sort);
  const older = toOptions(firstFrame, variable.regex, variable.sort);
  if (JSON.stringify(older) !== JSON.stringify(options))
    throw new Error(
      `variable ${variable.name} offers ${options.length} options in the current Grafana but ${older.length} in one that reads the first frame only (its query answers more than one series): ${query}`,
    );
  return options;
}

/**
 * The selection a user sees on opening the dashboard: each variable in order, its options narrowed by
 * the variables before it, then All or the first option. All without an `allValue` stands for every
 * option (scenes' MultiValueVariable.getValue), so it is selected as their list. `choose` overrides a
 * variable as a user's pick would (then the later ones narrow to it).
 */
export async function defaultSelection(
  dashboard: Json,
  run: (query: string) => Promise<Record<string, unknown>[]>,
  timeFilter: string,
  choose: Record<string, string[]> = {},
): Promise<{ selection: Selection; options: Map<string, string[]>; offered: Map<string, VariableOption[]> }> {
  const variables = variablesOf(dashboard);
  const selection: Selection = new Map();
  const options = new Map<string, string[]>();
  const offered = new Map<string, VariableOption[]>();
  for (const variable of variables) {
    const found = await optionsOf(variable, selection, variables, run, timeFilter);
    const values = found.map((o) => o.value);
    offered.set(variable.name, found);
    options.set(variable.name, values);
    const all = variable.allValue ? 'All' : values;
    selection.set(variable.name, choose[variable.name] ?? (variable.includeAll ? all : values.slice(0, 1)));
  }
  return { selection, options, offered };
}

/**
 * `$__interval` in ms for a panel: Grafana's rangeUtil.calculateInterval (@grafana/data) over the range,
 * at `maxDataPoints`, no finer than the panel's minimum interval, else the datasource's.
 */
export function panelIntervalMs(
  panel: Panel,
  rangeMs: number,
  datasourceMinInterval: string | undefined,
  maxDataPoints = 1000,
): number {
  const to = dateTime(0);
  const range = { from: dateTime(-rangeMs), to, raw: { from: dateTime(-rangeMs), to } };
  return rangeUtil.calculateInterval(range, maxDataPoints, panel.interval || datasourceMinInterval)
    .intervalMs;
}

/** InfluxQL's duration literal for an interval in ms (what Grafana writes for `$__interval`). */
export function influxDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * The panels as drawn: top-level panels as they are, a repeated row's panels once per selected value
 * of its variable, each with the selection it sees.
 */
export function drawnPanels(
  dashboard: Json,
  selection: Selection,
  options: Map<string, string[]>,
): { panel: Panel; selection: Selection; row?: string }[] {
  const out: { panel: Panel; selection: Selection; row?: string }[] = [];
  let row: { title: string; repeat?: string; panels: Panel[] } | undefined;
  const flush = () => {
    if (!row) return;
    const repeat = row.repeat;
    if (repeat === undefined) {
      for (const panel of row.panels) out.push({ panel, selection, row: row.title });
    } else {
      const chosen = selection.get(repeat);
      const values = chosen === 'All' ? (options.get(repeat) ?? []) : (chosen ?? []);
      for (const value of values) {
        const scoped: Selection = new Map(selection).set(repeat, [value]);
        for (const panel of row.panels)
          out.push({ panel, selection: scoped, row: row.title.replace(`$${repeat}`, value) });
      }
    }
    row = undefined;
  };
  for (const panel of dashboard.panels as (Panel & { repeat?: string; panels?: Panel[] })[]) {
    if (panel.type === 'row') {
      flush();
      row = {
        title: panel.title,
        ...(panel.repeat !== undefined ? { repeat: panel.repeat } : {}),
        panels: [...(panel.panels ?? [])],
      };
    } else if (row) row.panels.push(panel);
    else out.push({ panel, selection });
  }
  flush();
  return out;
}

/** The name Grafana displays for a series of an InfluxQL target: its alias with $tag_x filled in. */
export function displayName(alias: string | undefined, tags: Record<string, string>, column: string): string {
  if (!alias) return column;
  return alias.replace(/\$tag_(\w+)/g, (_, tag: string) => tags[tag] ?? '');
}

/**
 * Whether a field override's matcher picks a series: Grafana's own field matchers (@grafana/data
 * fieldMatchers: byName, byRegexp, byFrameRefID, byType…) on a field of that name, type and display
 * name in a frame of that query.
 */
export function overrideMatches(
  matcher: { id: string; options: string },
  series: { displayName: string; fieldName: string; refId: string; type: string },
): boolean {
  const field = {
    name: series.fieldName,
    type: series.type as FieldType,
    config: {},
    values: [],
    state: { displayName: series.displayName },
  };
  const frame = { refId: series.refId, fields: [field], length: 0 };
  const match = fieldMatchers.getIfExists(matcher.id);
  if (!match) throw new Error(`override matcher ${matcher.id} is not one of Grafana's`);
  return match.get(matcher.options)(field, frame, [frame]);
}

/** How a dashboard is looked at: its range ending now, its data points, the datasource's minimum interval. */
export interface DashboardView {
  rangeMs: number;
  maxDataPoints: number;
  minInterval: string | undefined;
  nowMs: number;
}

/**
 * Every target of the drawn panels (defaults as Grafana picks them, or `choose`), expanded as Grafana
 * sends it, with the rows `run` gets for it.
 */
export async function drawDashboard(
  json: Json,
  run: (query: string) => Promise<Record<string, unknown>[]>,
  view: DashboardView,
  choose: Record<string, string[]> = {},
) {
  const { rangeMs, maxDataPoints, minInterval, nowMs } = view;
  const timeFilter = `time >= ${nowMs - rangeMs}ms and time <= ${nowMs}ms`;
  const { selection, options, offered } = await defaultSelection(json, run, timeFilter, choose);
  /**
   * A panel's range: the dashboard's, moved back by its timeShift as Grafana moves it (dashboard-scene
   * PanelTimeRange: dateMath.parseDateMath('-' + timeShift, from|to), run here from @grafana/data).
   */
  const rangeOf = (panel: Panel): { fromMs: number; toMs: number } => {
    if (!panel.timeShift) return { fromMs: nowMs - rangeMs, toMs: nowMs };
    const shift = (ms: number) =>
      dateMath.parseDateMath(`-${panel.timeShift!}`, dateTime(ms), false)!.valueOf();
    return { fromMs: shift(nowMs - rangeMs), toMs: shift(nowMs) };
  };
  const variables = variablesOf(json);
  const out: {
    panel: Panel;
    row?: string;
    selection: Selection;
    target: Panel['targets'][number];
    query: string;
    rows: Record<string, unknown>[];
  }[] = [];
  for (const { panel, selection: scoped, row } of drawnPanels(json, selection, options))
    for (const target of panel.targets ?? []) {
      const intervalMs = panelIntervalMs(panel, rangeMs, minInterval, maxDataPoints);
      const { fromMs, toMs } = rangeOf(panel);
      const query = interpolate(
        target.query
          .replace(/\$timeFilter/g, `time >= ${fromMs}ms and time <= ${toMs}ms`)
          .replace(/\$\{__from\}/g, String(fromMs))
          .replace(/\$__interval/g, influxDuration(intervalMs)),
        scoped,
        variables,
      );
      out.push({
        panel,
        ...(row !== undefined ? { row } : {}),
        selection: scoped,
        target,
        query,
        rows: await run(query),
      });
    }
  return { selection, options, offered, panels: out };
}
