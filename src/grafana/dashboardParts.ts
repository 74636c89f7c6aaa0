import {
  AnnotationQueryBuilder,
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DATASOURCE, InfluxQLQuery, matchVariables } from './influxql.js';

/** What the traffic and trends dashboards share: their tag variables and Radar's events. */

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
