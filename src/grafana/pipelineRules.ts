import { RuleBuilder } from '@grafana/grafana-foundation-sdk/alerting';
import { above, influx, math, reduce } from './ruleQueries.js';

/** The parameters of the pipeline rules (README, "Alerts"). */
export interface PipelineRuleParams {
  /** Failed scheduled runs in a row of one query before it alerts. */
  failedRuns: number;
  /** How long points must have waited in the spool. */
  spoolWaitS: number;
  /** How far back the per-query status and the dead-letter count are read (a few stats reports). */
  lookbackS: number;
}

export const PIPELINE_DEFAULTS: PipelineRuleParams = {
  failedRuns: 3,
  spoolWaitS: 15 * 60,
  lookbackS: 10 * 60,
};

/** A query reading the per-query status points the service writes to radar_service. */
function statusQuery(field: string): string {
  return `SELECT last("${field}") FROM "radar_service" WHERE $timeFilter GROUP BY "job", "dimension", "agg_interval"`;
}

const PIPELINE_LINK = '/d/radar-netflows-pipeline/radar-netflows-pipeline';

/** A pipeline rule: uid and labels from its name, no pending period, and an alert when InfluxDB cannot be read. */
function pipelineRule(name: string, title: string): RuleBuilder {
  return (
    new RuleBuilder(title)
      .uid(`radar-pipeline-${name}`)
      .labels({ rule: `pipeline-${name}` })
      .forDuration('0s')
      // InfluxDB not answering Grafana is itself worth an alert.
      .execErrState('Alerting')
  );
}

/** A pipeline rule on one InfluxQL query: fires for each series whose reduced value is above `limit`. */
function oneQueryRule(
  name: string,
  title: string,
  query: {
    refId: string;
    text: string;
    rangeS: number;
    reducer: 'last' | 'max';
    value: string;
    limit: number;
  },
  annotations: Record<string, string>,
): RuleBuilder {
  return pipelineRule(name, title)
    .queries([
      influx(query.refId, query.text, query.rangeS),
      reduce(query.value, query.refId, query.reducer),
      above('condition', query.value, query.limit),
    ])
    .condition('condition')
    .noDataState('OK')
    .annotations({ ...annotations, dashboard_url: PIPELINE_LINK });
}

/** The rules that watch the service itself, from the data it writes about itself. */
export function pipelineRules(p = PIPELINE_DEFAULTS) {
  return [
    pipelineRule('stale', 'Query stale: no successful run')
      .queries([
        influx('age', statusQuery('since_success_s'), p.lookbackS),
        influx('limit', statusQuery('stale_after_s'), p.lookbackS),
        reduce('age_s', 'age', 'last'),
        reduce('limit_s', 'limit', 'last'),
        math('stale', '$age_s > $limit_s'),
        above('condition', 'stale', 0),
      ])
      .condition('condition')
      // No status at all for a while: the service is not running (or cannot write).
      .noDataState('Alerting')
      .annotations({
        summary: '{{ .Labels.job }}/{{ .Labels.dimension }}/{{ .Labels.agg_interval }}: no successful run',
        description:
          'No run of this query has succeeded for {{ humanizeDuration .Values.age_s.Value }} ' +
          '(allowed: {{ humanizeDuration .Values.limit_s.Value }}, service.staleAfter or twice its schedule). ' +
          "With no data at all, the service has written no status for a while: it is down or can't write.",
        dashboard_url: PIPELINE_LINK,
      }),
    oneQueryRule(
      'failing',
      'Query failing: runs failed in a row',
      {
        refId: 'failed',
        text: statusQuery('failed_runs'),
        rangeS: p.lookbackS,
        reducer: 'last',
        value: 'failed_runs',
        limit: p.failedRuns - 1,
      },
      {
        summary: `{{ .Labels.job }}/{{ .Labels.dimension }}/{{ .Labels.agg_interval }}: {{ .Values.failed_runs.Value }} runs failed in a row`,
        description:
          'The last {{ .Values.failed_runs.Value }} scheduled runs of this query failed; the service log says why ' +
          '(`window failed:` lines). Its checkpoint waits, so nothing is lost while it fails.',
      },
    ),
    oneQueryRule(
      'spool',
      'Points waiting in the spool',
      {
        refId: 'spool',
        text: 'SELECT min("spool_bytes") FROM "radar_service" WHERE $timeFilter GROUP BY "instance"',
        rangeS: p.spoolWaitS,
        reducer: 'last',
        value: 'waiting_bytes',
        limit: 0,
      },
      {
        summary: `{{ .Labels.instance }}: points waiting in the spool for over ${p.spoolWaitS / 60} min`,
        description:
          'InfluxDB has not taken the service’s writes for a while; they wait in the disk spool ' +
          '({{ humanize1024 .Values.waiting_bytes.Value }}B at least) and are replayed when it does.',
      },
    ),
    oneQueryRule(
      'dead-letters',
      'New dead letters',
      {
        refId: 'letters',
        text: 'SELECT non_negative_difference("dead_letter_points_total") FROM "radar_service" WHERE $timeFilter GROUP BY "instance"',
        rangeS: p.lookbackS,
        reducer: 'max',
        value: 'new_letters',
        limit: 0,
      },
      {
        summary: '{{ .Labels.instance }}: new dead letters',
        description:
          'Points were refused for good (by InfluxDB, or not writable as line protocol) and kept in ' +
          'STATE_DIR/dead-letters.jsonl with the reason; nothing else is written for them.',
      },
    ),
  ];
}
