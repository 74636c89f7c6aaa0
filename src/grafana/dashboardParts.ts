import {
  AnnotationQueryBuilder,
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DATASOURCE, InfluxQLQuery, matchVariables } from './influxql.js';

/** What the traffic and trends dashboards share: their tag variables, the group picker by name and Radar's events. */

/**
 * Each variable's values come from SHOW TAG VALUES over the dashboard's range, narrowed by the
 * variables before it. Every variable is multi-value: Grafana then always regex-escapes its values
 * inside `=~ /^$var$/` (a single-value one is escaped only where its heuristics see a regex:
 * public/app/plugins/datasource/influxdb/datasource.ts, interpolateQueryExpr).
 *
 * Only the groups offer All (`allValue` null: All is the list of every option). The others start
 * on their first value: a variable without
 * `includeAll` and without a saved value opens on its first option, one with it on All
 * (public/app/features/dashboard-scene/utils/variables.ts: `defaultToAll: Boolean(variable.includeAll)`),
 * and All of job, series, dimension or interval would put unrelated shares into one stack.
 */
export function tagVariable(
  name: string,
  label: string,
  tag: string,
  narrowedBy: Record<string, string>,
  includeAll = false,
  allValue: string | null = '.*',
): QueryVariableBuilder {
  const narrow = Object.keys(narrowedBy).length > 0 ? `${matchVariables(narrowedBy)} AND ` : '';
  const variable = new QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    // On InfluxDB 1.x the time predicate is accepted and ignored (influxd 1.6's index keeps no
    // times); 2.x and 3.x narrow to the range (3.x looks at the last day only without one).
    .query(`SHOW TAG VALUES FROM "radar_netflows" WITH KEY = "${tag}" WHERE ${narrow}$timeFilter`)
    .multi(true)
    .includeAll(includeAll)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc);
  return includeAll && allValue !== null ? variable.allValue(allValue) : variable;
}

export const ANNOTATION_QUERY =
  'SELECT "description", "linked_url", "event_type", "data_source" FROM "radar_annotations" WHERE $timeFilter';

/**
 * A picker of groups by name: the groups of radar_names that `where` selects, each offered by its name
 * and standing for its id, "Cloudflare (AS13335)" for 13335. Options come from the labels' `option` field,
 * "label|id" (src/names/groupNames.ts pickerOption): the InfluxDB datasource makes an option of each
 * value of the first string field of each frame (public/app/plugins/datasource/influxdb/datasource.ts,
 * toMetricFindValue), and the regex's named groups `text` and `value` split it (scenes'
 * variants/query/utils.ts, metricNamesToVariableValues), options sorted by their text.
 * Each group's newest option is taken in a subquery grouped by group key, and the outer query, not
 * grouped, answers them as one series: Grafana's backend makes a frame of each series, and earlier
 * Grafana versions read only the first frame of a variable query (metricFindQuery,
 * `frameToMetricFindValue(rsp.data[0])`), which would offer one group.
 */
export function namedGroupPicker(name: string, label: string, where: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .query(
      `SELECT "option" FROM (SELECT last("option") AS "option" FROM "radar_names" WHERE ${where} GROUP BY "group_key")`,
    )
    .regex('/^(?<text>.*)\\|(?<value>[^|]*)$/')
    .multi(true)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc);
}

/** Radar's events (radar_annotations) on every time axis of a dashboard. */
export function radarEvents(): AnnotationQueryBuilder {
  return new AnnotationQueryBuilder()
    .name('Radar events')
    .datasource(DATASOURCE)
    .enable(true)
    .iconColor('red')
    .target(new InfluxQLQuery(ANNOTATION_QUERY, { refId: 'Annotations', format: 'table' }));
}

/**
 * Grafana's InfluxDB annotations read these columns; the SDK's annotation builder has no setters for
 * them, so they are added to the built JSON.
 */
export function withAnnotationColumns(dashboard: { annotations?: { list?: object[] } }): object {
  const list = dashboard.annotations?.list ?? [];
  dashboard.annotations = {
    list: list.map((a) => ({
      ...a,
      query: ANNOTATION_QUERY,
      textColumn: 'description',
      tagsColumn: 'event_type,data_source',
      titleColumn: 'event_type',
    })),
  };
  return dashboard;
}
