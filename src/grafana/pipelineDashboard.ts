import * as common from '@grafana/grafana-foundation-sdk/common';
import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { DATASOURCE, InfluxQLQuery } from './influxql.js';

function graph(
  title: string,
  description: string,
  unit: string,
  ...targets: InfluxQLQuery[]
): timeseries.PanelBuilder {
  const panel = new timeseries.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .unit(unit)
    .height(8)
    .span(12);
  for (const target of targets) panel.withTarget(target);
  return panel;
}

/** Counters of radar_service are totals since the process started: their increase per interval. */
const serviceIncrease = (field: string, alias: string, refId: string): InfluxQLQuery =>
  new InfluxQLQuery(
    `SELECT non_negative_difference(last("${field}")) FROM "radar_service" WHERE $timeFilter GROUP BY time($__interval), "instance" fill(none)`,
    { refId, alias },
  );

export function pipelineDashboard(): object {
  return new DashboardBuilder('radar-netflows pipeline')
    .uid('radar-netflows-pipeline')
    .description(
      'Health of the radar-netflows service: requests, retries, throttling, failures, points written, spool and dead letters.',
    )
    .tags(['radar', 'netflows', 'pipeline'])
    .timezone('utc')
    .time({ from: 'now-24h', to: 'now' })
    .refresh('1m')
    .withPanel(
      graph(
        'Requests by outcome',
        'One radar_fetches point per window fetched (ok) or given up (failed).',
        'short',
        new InfluxQLQuery(
          'SELECT count("attempts") FROM "radar_fetches" WHERE $timeFilter GROUP BY time($__interval), "outcome" fill(0)',
          { alias: '$tag_outcome' },
        ),
      ),
    )
    .withPanel(
      graph(
        'Retries and 429s',
        'Attempts beyond the first, from radar_fetches; throttle answers from the service counters.',
        'short',
        new InfluxQLQuery(
          'SELECT sum("attempts") - count("attempts") FROM "radar_fetches" WHERE $timeFilter GROUP BY time($__interval) fill(0)',
          { refId: 'A', alias: 'retries' },
        ),
        serviceIncrease('throttled_total', '429s ($tag_instance)', 'B'),
      ),
    )
    .withPanel(
      graph(
        'Failed windows',
        'Windows given up after every retry, per job; the next run fetches them again.',
        'short',
        new InfluxQLQuery(
          `SELECT count("attempts") FROM "radar_fetches" WHERE "outcome" = 'failed' AND $timeFilter GROUP BY time($__interval), "job" fill(0)`,
          { alias: '$tag_job' },
        ),
      ),
    )
    .withPanel(
      graph(
        'Points written',
        'radar_netflows points per interval, per job.',
        'short',
        new InfluxQLQuery(
          'SELECT sum("points") FROM "radar_fetches" WHERE $timeFilter GROUP BY time($__interval), "job" fill(0)',
          { alias: '$tag_job' },
        ),
      ),
    )
    .withPanel(
      graph(
        'Spool and dead letters',
        'Bytes waiting in the disk spool while InfluxDB cannot take writes, and points InfluxDB refused for good.',
        'bytes',
        new InfluxQLQuery(
          'SELECT last("spool_bytes") FROM "radar_service" WHERE $timeFilter GROUP BY time($__interval), "instance" fill(previous)',
          { refId: 'A', alias: 'spool ($tag_instance)' },
        ),
        serviceIncrease('dead_letter_points_total', 'dead letters ($tag_instance)', 'B'),
        // By query, not by name: Grafana matches a name against the displayed one, here
        // "dead letters (<host>)" (packages/grafana-data/src/transformations/matchers/nameMatcher.ts).
      ).overrideByQuery('B', [{ id: 'unit', value: 'short' }]),
    )
    .withPanel(
      graph(
        'Request duration',
        'Mean time per window fetch, retries and waits included.',
        'ms',
        new InfluxQLQuery(
          'SELECT mean("duration_ms") FROM "radar_fetches" WHERE $timeFilter GROUP BY time($__interval), "agg_interval" fill(none)',
          { alias: '$tag_agg_interval' },
        ),
      ),
    )
    .withPanel(
      new table.PanelBuilder()
        .title('Last success per query')
        .description(
          "When each job × dimension × interval last fetched a window, and how fresh Radar's data was then.",
        )
        .datasource(DATASOURCE)
        .withTarget(
          new InfluxQLQuery(
            `SELECT last("window_end_ms") AS "window end", last("last_updated_ms") AS "radar data as of" FROM "radar_fetches" WHERE "outcome" = 'ok' AND $timeFilter GROUP BY "job", "dimension", "agg_interval"`,
            { format: 'table' },
          ),
        )
        .overrideByName('window end', [{ id: 'unit', value: 'dateTimeAsIso' }])
        .overrideByName('radar data as of', [{ id: 'unit', value: 'dateTimeFromNow' }])
        .sortBy([new common.TableSortByFieldStateBuilder().displayName('Time').desc(false)])
        .height(10)
        .span(24),
    )
    .build();
}
