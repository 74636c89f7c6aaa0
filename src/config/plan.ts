import type { Query, SeriesSpec } from '../model/query.js';
import { DIMENSIONS_WITHOUT_LIMIT, type Filters } from '../model/vocabulary.js';
import { DAY_MS } from '../util/time.js';
import type { RawConfig, RawJob } from './schema.js';
import type { Settings } from '../model/settings.js';

export const DEFAULT_SCHEDULE = '*/15 * * * *';
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
  const baseFilters: Filters = { ...defaults.filters, ...job.filters };
  const series: SeriesSpec[] = job.series
    ? job.series.map((s) => ({ name: s.name, filters: { ...baseFilters, ...s.filters } }))
    : [{ name: job.name, filters: baseFilters }];
  const limit = job.limitPerGroup ?? defaults.limitPerGroup;
  const lookbackMs = job.lookback ?? defaults.lookback ?? DEFAULT_LOOKBACK_MS;
  return job.dimensions.flatMap((dimension) =>
    job.intervals.map((interval) => ({
      id: `${job.name}/${dimension}/${interval}`,
      job: job.name,
      dimension,
      interval,
      normalization: job.normalization ?? defaults.normalization ?? 'PERCENTAGE',
      limitPerGroup: DIMENSIONS_WITHOUT_LIMIT.includes(dimension) ? undefined : limit,
      series,
      namedSeries: job.series !== undefined,
      schedule: job.schedule ?? defaults.schedule ?? DEFAULT_SCHEDULE,
      timezone: job.timezone ?? defaults.timezone ?? 'UTC',
      lookbackMs,
      windowMs: settings.windowMs[interval],
      settleMs: settings.settleMs,
    })),
  );
}
