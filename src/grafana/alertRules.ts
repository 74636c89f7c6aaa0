import {
  ContactPointBuilder,
  NotificationPolicyBuilder,
  QueryBuilder,
  RuleBuilder,
  RuleGroupBuilder,
} from '@grafana/grafana-foundation-sdk/alerting';
import type * as alerting from '@grafana/grafana-foundation-sdk/alerting';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import {
  TypeMathBuilder,
  TypeReduceBuilder,
  TypeThresholdBuilder,
} from '@grafana/grafana-foundation-sdk/expr';
import { DATASOURCE, InfluxQLQuery } from './influxql.js';

/** Grafana's server-side expressions are a datasource of their own. */
const EXPRESSIONS = { type: '__expr__', uid: '__expr__' };
const HOUR_S = 3600;
const DAY_S = 24 * HOUR_S;
export const ALERT_FOLDER = 'Radar NetFlows';
export const CONTACT_POINT = 'radar-netflows';
/** Where Grafana sends notifications; compose points it at the service's own /alerts when unset. */
export const WEBHOOK_URL_VARIABLE = 'RADAR_ALERT_WEBHOOK_URL';

/** The parameters of the traffic rules (README, "Alerts"). */
export interface TrafficRuleParams {
  /** How far back the recent mean reaches: the last few buckets. */
  recentS: number;
  /** The baseline: the same hours on each of this many previous days (so the daily rhythm cancels). */
  baselineDays: number;
  /** Share drop fires when the recent mean is below this fraction of the baseline. */
  dropBelow: number;
  /** Share surge fires when the recent mean is above this multiple of the baseline. */
  surgeAbove: number;
  /** Groups whose baseline share is below this (percent) never fire: their shares are noise. */
  minSharePercent: number;
  /** How long the condition must hold before the alert fires. */
  forDuration: string;
}

export const TRAFFIC_DEFAULTS: Record<'15m' | '1h', TrafficRuleParams> = {
  '15m': {
    recentS: 2 * HOUR_S,
    baselineDays: 7,
    dropBelow: 0.5,
    surgeAbove: 2,
    minSharePercent: 1,
    forDuration: '15m',
  },
  '1h': {
    recentS: 3 * HOUR_S,
    baselineDays: 7,
    dropBelow: 0.5,
    surgeAbove: 2,
    minSharePercent: 1,
    forDuration: '30m',
  },
};

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

/** A query of the rule: InfluxQL against the shipped datasource over [now - fromS, now - toS]. */
function influx(refId: string, query: string, fromS: number, toS = 0): cog.Builder<alerting.Query> {
  return new QueryBuilder(refId)
    .datasourceUid(DATASOURCE.uid!)
    .relativeTimeRange({ from: fromS, to: toS })
    .model(new InfluxQLQuery(query, { refId }));
}

function expression(refId: string, model: cog.Builder<cog.Dataquery>): cog.Builder<alerting.Query> {
  return new QueryBuilder(refId).datasourceUid(EXPRESSIONS.uid).model(model);
}

const reduce = (refId: string, of: string, reducer: 'mean' | 'last' | 'max') =>
  expression(
    refId,
    new TypeReduceBuilder().refId(refId).datasource(EXPRESSIONS).expression(of).reducer(reducer),
  );
const math = (refId: string, formula: string) =>
  expression(refId, new TypeMathBuilder().refId(refId).datasource(EXPRESSIONS).expression(formula));
const above = (refId: string, of: string, value: number) =>
  expression(
    refId,
    new TypeThresholdBuilder()
      .refId(refId)
      .datasource(EXPRESSIONS)
      .expression(of)
      .conditions([{ evaluator: { params: [value], type: 'gt' } }]),
  );

const SHARE_TAGS = '"job", "series", "dimension", "group_key"';
const SHARE_FILTER = `"agg_interval" = '%s' AND "normalization" = 'PERCENTAGE' AND "group_key" != 'other'`;

/** Each group's mean share over the rule's range: one series per job × series × dimension × group. */
function recentQuery(interval: string): string {
  return (
    `SELECT mean("value") FROM "radar_netflows" WHERE ${SHARE_FILTER.replace('%s', interval)} AND $timeFilter ` +
    `GROUP BY ${SHARE_TAGS}`
  );
}

/**
 * The baseline in ONE query: each group's mean share over the same hours of each previous day (a
 * subquery per day, bounded by now() like Grafana's own range), then the mean over the days that have
 * data. A day without data (a new install, a gap) adds nothing instead of emptying the query: Grafana
 * makes the whole rule NoData as soon as any one data query returns no series
 * (pkg/services/ngalert/eval/eval.go, queryDataResponseToExecutionResults and evaluateExecutionResult),
 * which is what silenced the seven day-by-day queries this replaces.
 */
function baselineQuery(interval: string, p: TrafficRuleParams): string {
  const days = Array.from({ length: p.baselineDays }, (_, i) => i + 1);
  const perDay = days.map(
    (d) =>
      `(SELECT mean("value") AS "share" FROM "radar_netflows" WHERE ${SHARE_FILTER.replace('%s', interval)} ` +
      `AND time >= now() - ${d * DAY_S + p.recentS}s AND time < now() - ${d * DAY_S}s GROUP BY ${SHARE_TAGS})`,
  );
  return `SELECT mean("share") FROM ${perDay.join(', ')} WHERE $timeFilter GROUP BY ${SHARE_TAGS}`;
}

/*
 * Annotation templates use `.Labels` and `.Values`, not `$labels` and `$values`: Grafana expands
 * environment variables (`$NAME`) in parts of a provisioning file, and what it expands has changed
 * between versions; text without a `$` means the same in all of them.
 */

/** The dashboard with the alert's job, dimension, interval and group selected. */
function dashboardLink(interval: string): string {
  return (
    `/d/radar-netflows/radar-netflows?var-job={{ .Labels.job }}&var-series={{ .Labels.series }}` +
    `&var-dimension={{ .Labels.dimension }}&var-agg_interval=${interval}&var-group_key={{ .Labels.group_key }}`
  );
}

/**
 * Share drop (or surge) of one interval's data: a group's mean share over the recent buckets against
 * its mean over the same hours of each of the previous days. One alert instance per job × series ×
 * dimension × group (labels from the tags); `other` and groups below minSharePercent never fire.
 */
export function trafficRule(kind: 'drop' | 'surge', interval: '15m' | '1h', p = TRAFFIC_DEFAULTS[interval]) {
  const compare =
    kind === 'drop'
      ? `$recent_share < ${p.dropBelow} * $baseline`
      : `$recent_share > ${p.surgeAbove} * $baseline`;
  const what = kind === 'drop' ? 'dropped' : 'surged';
  const factor = kind === 'drop' ? `below ${p.dropBelow * 100} %` : `above ${p.surgeAbove * 100} %`;
  return (
    new RuleBuilder(`Share ${kind} (${interval} data)`)
      .uid(`radar-share-${kind}-${interval}`)
      .queries([
        influx('recent', recentQuery(interval), p.recentS),
        influx('days', baselineQuery(interval, p), p.baselineDays * DAY_S + p.recentS, DAY_S),
        reduce('recent_share', 'recent', 'mean'),
        reduce('baseline', 'days', 'mean'),
        math('fired', `(${compare}) && $baseline >= ${p.minSharePercent}`),
        above('condition', 'fired', 0),
      ])
      .condition('condition')
      // No data is no news: with no recent points at all, or no previous day yet (the first day after
      // install), there is nothing to judge. From the second day on the baseline query has data.
      .noDataState('OK')
      .execErrState('Error')
      .forDuration(p.forDuration)
      .isPaused(kind === 'surge') // off by default: opt in by setting isPaused: false
      .labels({ rule: `share-${kind}`, agg_interval: interval })
      .annotations({
        summary: `{{ .Labels.group_key }} ({{ .Labels.dimension }}, job {{ .Labels.job }}): share ${what}`,
        description:
          `The ${interval} share of {{ .Labels.group_key }} in {{ .Labels.dimension }} (job {{ .Labels.job }}, ` +
          `series {{ .Labels.series }}) averaged {{ humanize .Values.recent_share.Value }} % over the last ` +
          `${p.recentS / HOUR_S} h, against {{ humanize .Values.baseline.Value }} % at the same hours of the ` +
          `previous days (up to ${p.baselineDays}, those with data): ${factor} of it.`,
        dashboard_url: dashboardLink(interval),
      })
  );
}

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

/** Every rule group, as Grafana's alerting provisioning API objects (tests may shorten the pipeline's times). */
export function ruleGroups(pipeline = PIPELINE_DEFAULTS): alerting.RuleGroup[] {
  return [
    new RuleGroupBuilder('radar-netflows traffic')
      .interval(5 * 60)
      .rules([
        trafficRule('drop', '15m'),
        trafficRule('drop', '1h'),
        trafficRule('surge', '15m'),
        trafficRule('surge', '1h'),
      ])
      .build(),
    new RuleGroupBuilder('radar-netflows pipeline').interval(60).rules(pipelineRules(pipeline)).build(),
  ];
}

/** The contact point: a webhook whose URL comes from the environment when Grafana provisions it. */
export function contactPoint(): alerting.ContactPoint {
  return new ContactPointBuilder()
    .name(CONTACT_POINT)
    .uid('radar-netflows-webhook')
    .type('webhook')
    .settings({ url: `$${WEBHOOK_URL_VARIABLE}`, httpMethod: 'POST' })
    .build();
}

/**
 * Every alert goes to the contact point, grouped per rule and per query. Grafana provisions a policy
 * as the organisation's whole root policy (replacing any routing of its own), so this one ships only
 * for the Grafana docker-compose starts (grafana/compose/). Rules cannot name the contact point
 * themselves instead (notification_settings): Grafana provisions rules before contact points
 * (pkg/services/provisioning/alerting/provisioner.go) and refuses a rule whose receiver does not
 * exist yet, so a fresh Grafana would not start.
 */
export function notificationPolicy(): alerting.NotificationPolicy {
  return new NotificationPolicyBuilder()
    .receiver(CONTACT_POINT)
    .groupBy(['alertname', 'job', 'dimension', 'agg_interval'])
    .groupWait('30s')
    .groupInterval('5m')
    .repeatInterval('4h')
    .build();
}
