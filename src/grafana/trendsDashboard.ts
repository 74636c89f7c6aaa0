import * as common from '@grafana/grafana-foundation-sdk/common';
import {
  DashboardBuilder,
  MappingType,
  QueryVariableBuilder,
  RowBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableHide,
  VariableRefresh,
  DashboardLinkBuilder,
  DashboardLinkType,
} from '@grafana/grafana-foundation-sdk/dashboard';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as text from '@grafana/grafana-foundation-sdk/text';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { DATASOURCE, InfluxQLQuery, matchVariables } from './influxql.js';
import { moversTable, withGroupLabels } from './namePanels.js';
import { namedGroupPicker, radarEvents, tagVariable, withAnnotationColumns } from './dashboardParts.js';

/**
 * "How did X move?": one group, picked by name, over months and years (issue #36). Its interval is
 * chosen by the range and the data stored, never by hand (the hidden `trend_interval` variable): the
 * finest of 15m, 1h, 1d and 1w that holds at most MAX_POINTS points of the group in the range, so a week
 * is hourly, months are daily and years weekly, and a range older than the finer data falls back to
 * the coarser. The share is drawn as stored (no mean over Grafana's buckets: a `time(1w)` bucket of
 * InfluxQL starts on a Thursday, Radar's weeks on Mondays), beside a second group, beside itself a year
 * before, with the traffic level of the same job and series, and with Radar's events on the time axis.
 */

/** At most this many points of one group per panel: 1w for years, 1d up to about a year, 1h for 2 weeks. */
export const MAX_POINTS = 400;

const PICKED = matchVariables({ job: 'job', series: 'series', dimension: 'dimension' });
const AT_INTERVAL = `${PICKED} AND ${matchVariables({ agg_interval: 'trend_interval' })}`;
const GROUP = matchVariables({ group_key: 'group' });
const COMPARE = matchVariables({ group_key: 'compare' });

/** Groups by name, as the traffic dashboard's picker offers them ("Cloudflare (AS13335)" for 13335). */
function groupVariable(name: string, label: string, except?: string): QueryVariableBuilder {
  const not = except ? ` AND "group_key" !~ /^$${except}$/` : '';
  return namedGroupPicker(name, label, `${matchVariables({ dimension: 'dimension' })}${not}`);
}

/**
 * The interval that fits the range: of the intervals stored for the picked group, the one with the
 * most points in the range that are still at most MAX_POINTS (max() with a tag beside it answers the
 * row's tag: influxd 1.6 does). One series, one row: one option, the first string field (agg_interval).
 */
function trendInterval(): QueryVariableBuilder {
  return new QueryVariableBuilder('trend_interval')
    .label('Interval (by the range)')
    .datasource(DATASOURCE)
    .query(
      `SELECT max("n"), "agg_interval" FROM (SELECT count("value") AS "n" FROM "radar_netflows" WHERE ${PICKED} AND ${GROUP} ` +
        `AND $timeFilter GROUP BY "agg_interval", "group_key") WHERE "n" <= ${MAX_POINTS}`,
    )
    .multi(true)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .hide(VariableHide.HideVariable);
}

/** The stored shares of the picked groups (and of the one to compare), one row per point. */
const SHARES = (groups: string): string =>
  `SELECT "value" AS "share" FROM "radar_netflows" WHERE ${AT_INTERVAL} AND ${groups} AND $timeFilter ` +
  `GROUP BY "job", "series", "agg_interval", "group_key"`;

const LEVEL =
  `SELECT "value" AS "level" FROM "radar_traffic_level" WHERE ${matchVariables({ job: 'job', series: 'series', agg_interval: 'trend_interval' })} ` +
  'AND $timeFilter GROUP BY "series"';

/** Points of the picked group in the range: none when the job does not store it (outside its top N). */
const POINTS_IN_RANGE = `SELECT count("value") AS "points" FROM "radar_netflows" WHERE ${AT_INTERVAL} AND ${GROUP} AND $timeFilter`;

/**
 * How much of the range lies before the first window the job's query ever fetched (radar_fetches'
 * window_start_ms): positive when history is missing. `${__from}` is the range's start in ms.
 */
const MISSING_HISTORY =
  `SELECT min("window_start_ms") - \${__from} AS "missing" FROM "radar_fetches" WHERE ` +
  `${matchVariables({ job: 'job', dimension: 'dimension', agg_interval: 'trend_interval' })} AND "outcome" = 'ok'`;

const BACKFILL_HELP = [
  '**History older than the stored one** (the stat beside this says how much of the range is missing) is',
  "fetched on request, through the same windows, rate limit and checkpoints as the service's runs:",
  '',
  '`npx --no radar-netflows backfill --job $job --dimension $dimension --interval $trend_interval --from ${__from:date:YYYY-MM-DD}`',
  '',
  '(a year at 1d or 1w is a handful of requests; `plan` and `backfill --dry-run` say how many).',
  "**A group with no points here** is outside the job's top N (`limitPerGroup`): Radar counts it in",
  '`other`. To keep its own history, add a job filtered to it (for a country: `filters: { location: [XX] }`)',
  'or raise `limitPerGroup`.',
].join('\n');

export function trendsDashboard(): object {
  // To the other dashboards (tagged netflows), keeping the time range.
  const link = new DashboardLinkBuilder('Radar NetFlows')
    .type(DashboardLinkType.Dashboards)
    .tags(['netflows'])
    .icon('dashboard')
    .keepTime(true);
  const built = new DashboardBuilder('Radar NetFlows trends')
    .uid('radar-netflows-trends')
    .description(
      'How one group moved over months and years: its share at the interval the range calls for, beside ' +
        "another group, beside itself a year before, with the traffic level and Radar's events. Data: Cloudflare Radar, CC BY-NC 4.0.",
    )
    .tags(['radar', 'netflows', 'trends'])
    .timezone('utc')
    .time({ from: 'now-1y', to: 'now' })
    .links([link])
    .withVariable(tagVariable('dimension', 'Dimension', 'dimension', {}))
    .withVariable(groupVariable('group', 'Group'))
    .withVariable(groupVariable('compare', 'Compare with', 'group'))
    .withVariable(tagVariable('job', 'Job', 'job', { dimension: 'dimension', group_key: 'group' }))
    .withVariable(
      tagVariable('series', 'Series', 'series', { job: 'job', dimension: 'dimension', group_key: 'group' }),
    )
    .withVariable(trendInterval())
    .annotation(radarEvents())
    .withRow(new RowBuilder('$group over the range ($job, $series, every $trend_interval)'))
    .withPanel(
      withGroupLabels(
        new timeseries.PanelBuilder()
          .title('Share of $group and $compare')
          .description(
            'The stored share of each, one point per Radar bucket of the interval chosen by the range (hidden ' +
              "variable trend_interval: weekly for years, daily for months, hourly for weeks). Red marks are Radar's " +
              'events: a step at one (for instance "phased integration of new IP geolocation provider") may not be traffic.',
          )
          .datasource(DATASOURCE)
          .withTarget(new InfluxQLQuery(SHARES(`(${GROUP} OR ${COMPARE})`), { format: 'table' }))
          .unit('percent')
          .lineWidth(2)
          .height(10)
          .span(16),
        matchVariables({ dimension: 'dimension' }),
        'share',
      ),
    )
    .withPanel(
      new stat.PanelBuilder()
        .title('Points of $group in the range')
        .description(
          "None: the job does not store this group at this interval in the range: outside the job's top N it is " +
            'counted in other (see the note below), or the history is missing (the stat below).',
        )
        .datasource(DATASOURCE)
        .withTarget(new InfluxQLQuery(POINTS_IN_RANGE))
        .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']))
        .noValue('none: outside the top N, or not stored yet')
        .height(5)
        .span(8),
    )
    .withPanel(
      new stat.PanelBuilder()
        .title('History missing at the start of the range')
        .description(
          'How much of the range lies before the first window this job ever fetched at this interval. ' +
            'Anything above zero is history to backfill (the command is below).',
        )
        .datasource(DATASOURCE)
        .withTarget(new InfluxQLQuery(MISSING_HISTORY))
        .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']))
        .unit('dtdurationms')
        .mappings([
          {
            type: MappingType.RangeToText,
            options: {
              from: null,
              to: 0,
              result: { text: 'none: stored from before the range', color: 'green' },
            },
          },
        ])
        .thresholds(
          new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
            { value: null, color: 'green' },
            { value: 1, color: 'red' },
          ]),
        )
        .height(5)
        .span(8),
    )
    .withPanel(
      withGroupLabels(
        new timeseries.PanelBuilder()
          .title('$group a year before')
          .description('The same share over the same span one year earlier (the panel is shifted by 1y).')
          .datasource(DATASOURCE)
          .timeShift('1y')
          .withTarget(new InfluxQLQuery(SHARES(GROUP), { format: 'table' }))
          .unit('percent')
          .height(8)
          .span(12),
        matchVariables({ dimension: 'dimension' }),
        'share',
      ),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title('Traffic level ($job, $series)')
        .description(
          "Radar's netflows/timeseries for the same job and series: an index, each window's answer divided by its own " +
            'peak (MIN0_MAX, 1 = the busiest bucket of that window), not bytes per second. Compare it within a window ' +
            '(a drop of every group at once, which shares cannot show), not its level across windows. Empty for a job ' +
            'without trafficLevel: true.',
        )
        .datasource(DATASOURCE)
        .withTarget(new InfluxQLQuery(LEVEL, { alias: 'level $tag_series' }))
        .min(0)
        .height(8)
        .span(12),
    )
    .withPanel(
      new text.PanelBuilder()
        .title('Filling the history; a group outside the top N')
        .mode(text.TextMode.Markdown)
        .content(BACKFILL_HELP)
        .height(6)
        .span(24),
    )
    .withRow(new RowBuilder('Groups that moved most over the range'))
    .withPanel(moversTable(AT_INTERVAL))
    .build();
  return withAnnotationColumns(built);
}
