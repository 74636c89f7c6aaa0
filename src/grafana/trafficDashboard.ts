import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as common from '@grafana/grafana-foundation-sdk/common';
import {
  DashboardBuilder,
  QueryVariableBuilder,
  RowBuilder,
  VariableHide,
} from '@grafana/grafana-foundation-sdk/dashboard';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { DATASOURCE, InfluxQLQuery, matchVariables } from './influxql.js';
import { shareMap, topGroupsTable, withGroupLabels } from './namePanels.js';
import { namedGroupPicker, radarEvents, tagVariable, withAnnotationColumns } from './dashboardParts.js';

/** Tags filtered by the dashboard's variables, and the filter on them. */
const TRAFFIC_FILTER = matchVariables({
  job: 'job',
  series: 'series',
  dimension: 'dimension',
  agg_interval: 'agg_interval',
  group_key: 'group_key',
});
const MAP_FILTER = matchVariables({ job: 'job', series: 'series', agg_interval: 'agg_interval' });
const FETCH_FILTER = matchVariables({ job: 'job', dimension: 'dimension', agg_interval: 'agg_interval' });

/**
 * The Group picker: the groups in the range (`group_keys`) by name (see namedGroupPicker). All is
 * `.*`: a group written before names existed and not seen since has no label, and All still draws it.
 */
function groupPicker(): QueryVariableBuilder {
  return namedGroupPicker(
    'group_key',
    'Group',
    matchVariables({ dimension: 'dimension', group_key: 'group_keys' }),
  )
    .includeAll(true)
    .allValue('.*');
}

/**
 * Every tag that separates one stack of shares from another but the dimension (whose rows repeat):
 * with several jobs, series or intervals chosen, each keeps its own series instead of being
 * averaged into another's.
 */
const SHARE_GROUP_BY = '"job", "series", "agg_interval", "group_key"';

/**
 * The smallest bucket Radar serves is 15 minutes: a panel's `$__interval` below it only splits
 * buckets. Grafana uses a panel's own minimum interval before the datasource's.
 */
const MIN_TRAFFIC_INTERVAL = '15m';

const traffic = (select: string, groupBy: string): string =>
  `SELECT ${select} FROM "radar_netflows" WHERE ${TRAFFIC_FILTER} AND $timeFilter GROUP BY ${groupBy}`;

/** The labels the share panels join: those of the chosen dimension (one, in its repeated row). */
const LABELS_FILTER = matchVariables({ dimension: 'dimension' });

export function trafficDashboard(): object {
  const built = new DashboardBuilder('Radar NetFlows')
    .uid('radar-netflows')
    .description(
      'Cloudflare Radar NetFlows traffic distributions, from radar-netflows. Data: Cloudflare Radar, CC BY-NC 4.0.',
    )
    .tags(['radar', 'netflows'])
    .timezone('utc')
    .time({ from: 'now-7d', to: 'now' })
    .refresh('15m')
    .withVariable(tagVariable('job', 'Job', 'job', {}))
    .withVariable(tagVariable('series', 'Series', 'series', { job: 'job' }))
    .withVariable(tagVariable('dimension', 'Dimension', 'dimension', { job: 'job' }))
    .withVariable(
      tagVariable('agg_interval', 'Interval', 'agg_interval', { job: 'job', dimension: 'dimension' }),
    )
    .withVariable(
      tagVariable(
        'group_keys',
        'Groups in the range',
        'group_key',
        { job: 'job', dimension: 'dimension', agg_interval: 'agg_interval' },
        true,
        // All of them, always: the picker below offers these by name. Without an allValue, All is
        // the list of every option (scenes' MultiValueVariable.getValue).
        null,
      ).hide(VariableHide.HideVariable),
    )
    .withVariable(groupPicker())
    .annotation(radarEvents())
    // One row per chosen dimension: shares of different dimensions never share a stack.
    .withRow(new RowBuilder('Traffic share: $dimension').repeat('dimension'))
    .withPanel(
      withGroupLabels(
        new timeseries.PanelBuilder()
          .title('Share of traffic per group ($job, $series, $agg_interval)')
          .description(
            "Each group's share of the traffic in one job, series and interval, stacked: all of them add up to " +
              '100 %, and one group picked alone shows its own share (stacked as values, not to 100 % of what is ' +
              'drawn). With several chosen, each brings its own stack. With MIN0_MAX jobs, the stack shows the ' +
              "groups' relative sizes.",
          )
          .interval(MIN_TRAFFIC_INTERVAL)
          .datasource(DATASOURCE)
          .withTarget(
            new InfluxQLQuery(
              traffic('mean("value") AS "share"', `time($__interval), ${SHARE_GROUP_BY} fill(none)`),
              { format: 'table' },
            ),
          )
          .unit('percent')
          .fillOpacity(60)
          .lineWidth(1)
          .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal))
          .legend(
            new common.VizLegendOptionsBuilder()
              .showLegend(true)
              .displayMode(common.LegendDisplayMode.Table)
              .placement(common.LegendPlacement.Right)
              .calcs(['mean', 'lastNotNull']),
          )
          .height(12)
          .span(16),
        LABELS_FILTER,
        'share',
      ),
    )
    .withPanel(
      withGroupLabels(
        new bargauge.PanelBuilder()
          .title('Top groups over the range')
          .description('Mean share of each group over the chosen time range.')
          .datasource(DATASOURCE)
          .withTarget(
            new InfluxQLQuery(traffic('mean("value") AS "share"', SHARE_GROUP_BY), { format: 'table' }),
          )
          .unit('percent')
          .orientation(common.VizOrientation.Horizontal)
          .displayMode(common.BarGaugeDisplayMode.Gradient)
          .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
          .height(12)
          .span(8),
        LABELS_FILTER,
        'share',
      ),
    )
    .withPanel(
      withGroupLabels(
        new timeseries.PanelBuilder()
          .title('Group against its own history')
          .description('The chosen groups, with a moving average of their last 7 buckets to show the trend.')
          .datasource(DATASOURCE)
          .interval(MIN_TRAFFIC_INTERVAL)
          // One query for both: the join pairs each row with its group's label, never with another query's row.
          .withTarget(
            new InfluxQLQuery(
              traffic(
                'mean("value") AS "share", moving_average(mean("value"), 7) AS "7-bucket average"',
                `time($__interval), ${SHARE_GROUP_BY} fill(none)`,
              ),
              { format: 'table' },
            ),
          )
          .unit('percent')
          .height(10)
          .span(24),
        LABELS_FILTER,
        'share',
        '${__field.labels.label}: ${__field.name}',
      ),
    )
    .withPanel(topGroupsTable(TRAFFIC_FILTER, SHARE_GROUP_BY))
    // The maps show LOCATION and ADM1 whichever dimension is chosen above.
    .withRow(new RowBuilder('Maps'))
    .withPanel(shareMap('LOCATION', MAP_FILTER))
    .withPanel(shareMap('ADM1', MAP_FILTER))
    .withRow(new RowBuilder('Data quality'))
    .withPanel(
      new stat.PanelBuilder()
        .title('Radar confidence level')
        .description('meta.confidenceInfo.level of the latest fetch: 5 means no known data issue.')
        .datasource(DATASOURCE)
        .withTarget(
          new InfluxQLQuery(
            `SELECT last("confidence_level") FROM "radar_fetches" WHERE ${FETCH_FILTER} AND $timeFilter GROUP BY "job", "dimension", "agg_interval"`,
            { alias: '$tag_job $tag_dimension $tag_agg_interval' },
          ),
        )
        .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']))
        .min(0)
        .max(5)
        .height(6)
        .span(12),
    )
    .withPanel(
      new stat.PanelBuilder()
        .title('Radar data as of')
        .description("meta.lastUpdated of the latest fetch: how fresh Radar's data is.")
        .datasource(DATASOURCE)
        .withTarget(
          new InfluxQLQuery(
            `SELECT last("last_updated_ms") FROM "radar_fetches" WHERE ${FETCH_FILTER} AND $timeFilter GROUP BY "agg_interval"`,
            { alias: '$tag_agg_interval' },
          ),
        )
        .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']))
        .unit('dateTimeFromNow')
        .height(6)
        .span(12),
    )
    .build();
  return withAnnotationColumns(built);
}
