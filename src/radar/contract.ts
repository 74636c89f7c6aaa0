import {
  INTERVAL_MS,
  TRAFFIC_LEVEL,
  TRAFFIC_LEVEL_NORMALIZATION,
  type AggInterval,
  type QueryDimension,
} from '../model/vocabulary.js';
import { DAY_MS, formatDuration, formatSpan, isoSeconds, WEEK_MS } from '../util/time.js';
import { checkAnswer } from './answerCheck.js';
import type { RadarProbe } from './client.js';
import type { RadarRequest } from './request.js';
import { RADAR_WINDOW_REFUSED, RadarApiError } from './apiError.js';

/**
 * What `doctor` asks Radar, and what it concludes: the assumptions the service makes about the live
 * API (docs/radar-api.md), each checked against a real answer. Pure: the requests are built here, sent by
 * the command, and the answers judged here.
 */

/** What one check found: `problem` when an assumption is broken (with what to change), else `note`. */
export interface Finding {
  what: string;
  note?: string;
  problem?: string;
}

/**
 * A closed range of four buckets ending on the interval's grid, two days (weekly: two weeks) in the
 * past: settled data, so that whether the bucket at `dateEnd` is in the answer says how Radar reads
 * `dateEnd`, not how far its data reaches.
 */
export function shapeRequest(dimension: QueryDimension, interval: AggInterval, nowMs: number): RadarRequest {
  const stepMs = INTERVAL_MS[interval];
  const endMs = Math.floor((nowMs - (interval === '1w' ? 2 * WEEK_MS : 2 * DAY_MS)) / stepMs) * stepMs;
  return rangeRequest(dimension, interval, endMs - 4 * stepMs, endMs);
}

/** One window of `lengthMs` ending on a day boundary two days in the past. */
export function windowRequest(
  dimension: QueryDimension,
  interval: AggInterval,
  lengthMs: number,
  nowMs: number,
): RadarRequest {
  const endMs = Math.floor((nowMs - 2 * DAY_MS) / WEEK_MS) * WEEK_MS;
  return rangeRequest(dimension, interval, endMs - lengthMs, endMs);
}

function rangeRequest(
  dimension: QueryDimension,
  interval: AggInterval,
  startMs: number,
  endMs: number,
): RadarRequest {
  return {
    dimension,
    aggInterval: interval,
    normalization: dimension === TRAFFIC_LEVEL ? TRAFFIC_LEVEL_NORMALIZATION : 'PERCENTAGE',
    series: [{ dateStart: isoSeconds(startMs), dateEnd: isoSeconds(endMs) }],
  };
}

/** Radar refused our credentials: nothing else can be checked. */
export function refusedCredentials(probe: RadarProbe): string | undefined {
  return probe.status === 401 || probe.status === 403 ? probe.error?.message : undefined;
}

/**
 * The shape of one dimension × interval: the answer passes every check the service makes; how it reads
 * `dateEnd`; its group keys; how far behind `lastUpdated` is; which `meta` fields it has.
 */
export function judgeShape(request: RadarRequest, probe: RadarProbe, nowMs: number): Finding {
  const what = `${request.dimension} ${request.aggInterval}`;
  const { response } = probe;
  if (!response) return { what, problem: `no usable answer: ${probe.error?.message ?? 'unknown error'}` };
  try {
    checkAnswer(response, request);
  } catch (error) {
    return { what, problem: `${(error as Error).message}: the service would refuse such answers` };
  }
  const series = response.series[0]!;
  const endMs = Date.parse(request.series[0]!.dateEnd!);
  const stamps = series.timestampsMs;
  const weekly = request.aggInterval === '1w';
  const onOurGrid = stamps.every((t) => t % INTERVAL_MS[request.aggInterval] === 0);
  const weekStart = weekly && stamps.length > 0 ? weekday(stamps[0]!) : undefined;
  if (weekStart !== undefined && weekStart !== 'Monday')
    return {
      what,
      problem: `weekly buckets start on ${weekStart}s: the service counts weekly windows from Mondays 00:00 UTC (Radar's weeks as seen in 2026), so each window would cut a week; tell the maintainers`,
    };
  const dateEnd = weekly
    ? 'weekly buckets start on Mondays 00:00 UTC, as the service counts its weekly windows'
    : stamps.includes(endMs) || !onOurGrid
      ? 'dateEnd inclusive (the bucket that starts at dateEnd is in the answer)'
      : 'dateEnd exclusive (the answer ends before dateEnd)';
  // Radar moves a range onto its own buckets and says so in meta.dateRange (weekly: back to Mondays).
  const answered = response.meta.dateRanges?.[0];
  const asked = { startMs: Date.parse(request.series[0]!.dateStart!), endMs };
  const adjusted =
    answered && (answered.startMs !== asked.startMs || answered.endMs !== asked.endMs)
      ? `; range adjusted by Radar: asked ${isoSeconds(asked.startMs)} → ${isoSeconds(asked.endMs)}, answered ${isoSeconds(answered.startMs)} → ${isoSeconds(answered.endMs)} (meta.dateRange)`
      : answered
        ? '; meta.dateRange as asked'
        : '';
  const keys = [...series.groups.keys()];
  const { meta } = response;
  const lag =
    meta.lastUpdatedMs === undefined
      ? 'no lastUpdated (windows settle by the clock instead)'
      : `lastUpdated ${formatSpan(Math.max(0, nowMs - meta.lastUpdatedMs))} ago`;
  const present = Object.entries({
    aggInterval: meta.aggInterval,
    normalization: meta.normalization,
    lastUpdated: meta.lastUpdatedMs,
    'confidenceInfo.level': meta.confidenceLevel,
  })
    .filter(([, value]) => value !== undefined)
    .map(([name]) => name);
  const sample = keys.slice(0, 5).join(', ') + (keys.length > 5 ? ` … (${keys.length} keys)` : '');
  return {
    what,
    // The traffic level's one column is named as Radar named it (`values` in the spec): said, not assumed.
    note: `${dateEnd}${adjusted}; ${request.dimension === TRAFFIC_LEVEL ? 'column' : 'keys'} ${sample || '(none)'}; ${lag}; meta has ${present.join(', ') || 'nothing'}`,
  };
}

/** Whether Radar refused a window as too large (rather than anything else going wrong). */
export function isRangeRefusal(probe: RadarProbe): boolean {
  const error = probe.error;
  return error instanceof RadarApiError && error.code === RADAR_WINDOW_REFUSED;
}

/** The window lengths a bounded search tries: whole days (weeks for 1w), up to 364 days. */
export function windowUnitMs(interval: AggInterval): number {
  return interval === '1w' ? WEEK_MS : DAY_MS;
}

export const MAX_WINDOW_MS = 364 * DAY_MS;

/** "Ratelimit: …; Ratelimit-Policy: …", or that none came. */
export function describeRateLimitHeaders(headers: Record<string, string>): string {
  const entries = Object.entries(headers);
  return entries.length === 0
    ? 'none sent (the service keeps its own count: radar.rateLimit)'
    : entries.map(([name, value]) => `${name}: ${value}`).join('; ');
}

export function windowText(interval: AggInterval, lengthMs: number): string {
  return `${interval} in ${formatDuration(lengthMs)} windows`;
}

function weekday(ms: number): string {
  return ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'][
    new Date(ms).getUTCDay()
  ]!;
}
