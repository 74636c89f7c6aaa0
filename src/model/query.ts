import type { AggInterval, Filters, Normalization, QueryDimension } from './vocabulary.js';

/** One named series of a query: its filters go to Radar at the series' position in each array. */
export interface SeriesSpec {
  name: string;
  filters: Filters;
}

/**
 * Everything of a query, besides its id, that changes what Radar answers: its checkpoint belongs to
 * this whole definition, never to the name alone (a job whose filters changed asks for other data).
 * Windows are not part of it: changing them keeps checkpoints valid (see windows/grid.ts).
 */
export interface QueryDefinition {
  series: { name: string; filters: Filters }[];
  normalization: Normalization;
  limitPerGroup: number | null;
}

/** The unit of work: one job × dimension × interval, with all its series in one request. */
export interface Query {
  /** `job/DIMENSION/interval`: stable, used for checkpoints, logs and metrics. */
  id: string;
  job: string;
  /** A dimension's shares, or TRAFFIC_LEVEL (the traffic level, netflows/timeseries). */
  dimension: QueryDimension;
  interval: AggInterval;
  normalization: Normalization;
  limitPerGroup: number | undefined;
  /** Several series are requested together (so MIN0_MAX normalizes them together). */
  series: SeriesSpec[];
  /** Whether the job named its series; a single unnamed series is called after the job. */
  namedSeries: boolean;
  schedule: string;
  timezone: string;
  lookbackMs: number;
  windowMs: number;
  /** How far past a window's end Radar's data must reach before the window is final. */
  settleMs: number;
}
