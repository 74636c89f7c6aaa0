import {
  ContactPointBuilder,
  NotificationPolicyBuilder,
  RuleBuilder,
  RuleGroupBuilder,
} from '@grafana/grafana-foundation-sdk/alerting';
import type * as alerting from '@grafana/grafana-foundation-sdk/alerting';

import { above, influx, math, reduce } from './ruleQueries.js';
import { PIPELINE_DEFAULTS, pipelineRules } from './pipelineRules.js';

export { PIPELINE_DEFAULTS, type PipelineRuleParams } from './pipelineRules.js';

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
