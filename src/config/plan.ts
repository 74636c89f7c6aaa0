import type { Query, SeriesSpec } from '../model/query.js';
import {
  DIMENSIONS_WITHOUT_LIMIT,
  TRAFFIC_LEVEL,
  TRAFFIC_LEVEL_NORMALIZATION,
  type AggInterval,
  type Filters,
  type QueryDimension,
} from '../model/vocabulary.js';
import { DAY_MS } from '../util/time.js';
import type { RawConfig, RawJob } from './schema.js';
import type { Settings } from '../model/settings.js';

/**
 * When a query runs if its job does not say: as often as its interval adds a bucket, no more.
 * - 15m: every 15 minutes, each new bucket as soon as it exists.
 * - 1h: hourly.
 * - 1d and 1w: every 6 hours. A day's bucket is written within 6 hours of the day's end (plus
 *   Radar's delay and the settle margin), and the open bucket's value is refreshed 4 times a day.
 *   Every 15 minutes, as before, re-fetched the whole 364-day window 96 times a day to add one
 *   bucket: 8 of the shipped jobs.yaml's 19 queries rewrote about 9,300 points per run for it.
 */
export const DEFAULT_SCHEDULE: Record<AggInterval, string> = {
  '15m': '*/15 * * * *',
  '1h': '0 * * * *',
  '1d': '0 */6 * * *',
  '1w': '0 */6 * * *',
};
/** A new query starts this long ago: a week (7d). */
export const DEFAULT_LOOKBACK_MS = 7 * DAY_MS;

/** Expands every enabled job into its queries, in the order of jobs.yaml. */
export function planQueries(config: RawConfig, settings: Settings): Query[] {
  return config.jobs
    .filter((job) => job.enabled !== false)
    .flatMap((job) => jobQueries(job, config, settings));
}

function jobQueries(job: RawJob, config: RawConfig, settings: Settings): Query[] {
  const defaults = config.defaults ?? {};
  const baseFilters = mergeFilters(defaults.filters, job.filters);
  const series: SeriesSpec[] = job.series
    ? job.series.map((s) => ({ name: s.name, filters: mergeFilters(baseFilters, s.filters) }))
    : [{ name: job.name, filters: baseFilters }];
  const limit = job.limitPerGroup ?? defaults.limitPerGroup;
  const lookbackMs = job.lookback ?? defaults.lookback ?? DEFAULT_LOOKBACK_MS;
  // The traffic level comes after the job's dimensions: the same series, filters and intervals.
  const dimensions: QueryDimension[] = [
    ...job.dimensions,
    ...((job.trafficLevel ?? defaults.trafficLevel) ? [TRAFFIC_LEVEL as QueryDimension] : []),
  ];
  const shares = job.normalization ?? defaults.normalization ?? 'PERCENTAGE';
  return dimensions.flatMap((dimension) =>
    job.intervals.map((interval) => ({
      id: `${job.name}/${dimension}/${interval}`,
      job: job.name,
      dimension,
      interval,
      normalization: dimension === TRAFFIC_LEVEL ? TRAFFIC_LEVEL_NORMALIZATION : shares,
      limitPerGroup: DIMENSIONS_WITHOUT_LIMIT.includes(dimension) ? undefined : limit,
      series,
      namedSeries: job.series !== undefined,
      schedule: job.schedule ?? defaults.schedule ?? DEFAULT_SCHEDULE[interval],
      timezone: job.timezone ?? defaults.timezone ?? 'UTC',
      lookbackMs,
      windowMs: settings.windowMs[interval],
      settleMs: settings.settleMs,
    })),
  );
}

/** Filters of the later parts over the earlier, a filter left out where a part does not give it. */
function mergeFilters(...parts: (Readonly<Record<string, string[] | undefined>> | undefined)[]): Filters {
  const merged: Filters = {};
  for (const part of parts)
    for (const [name, values] of Object.entries(part ?? {}))
      if (values !== undefined) merged[name as keyof Filters] = values;
  return merged;
}
