import cron from 'node-cron';
import type { Query } from '../model/query.js';
import { HOUR_MS } from '../util/time.js';
import { RATE_WINDOW_MS } from '../radar/limiter.js';
import { hasNames, NAMES_BATCH } from '../names/groupNames.js';

/**
 * How often a cron schedule fires, on average, over its next 100 runs (every 15 minutes: a day; a
 * weekday schedule: 20 weeks). node-cron's getNextRuns is slow, and `run` works this out after
 * /healthz is already served: 500 runs took 94 ms of event loop at start, 100 take 6 ms. `run` asks
 * for every query's schedule several times (budget, readiness, stats): each is worked out once per
 * process.
 */
export function runsPerHour(schedule: string, timezone: string): number {
  const key = `${schedule}\u0000${timezone}`;
  let rate = rates.get(key);
  if (rate === undefined) rates.set(key, (rate = averageRunsPerHour(schedule, timezone)));
  return rate;
}

const rates = new Map<string, number>();

function averageRunsPerHour(schedule: string, timezone: string): number {
  const task = cron.createTask(schedule, () => undefined, { timezone });
  try {
    const runs = task.getNextRuns(100);
    if (runs.length < 2) return 0;
    const spanMs = runs[runs.length - 1]!.getTime() - runs[0]!.getTime();
    return (runs.length - 1) / (spanMs / HOUR_MS);
  } finally {
    void task.destroy();
  }
}

/**
 * Requests one scheduled run of a query makes once it has caught up: the open window, plus the one
 * before it for as long as that one is not yet final (the settle margin after it closed).
 */
export function requestsPerRun(query: Query): number {
  return 1 + Math.min(1, query.settleMs / query.windowMs);
}

/**
 * How long the service may go without any query succeeding while nothing is wrong: twice the period
 * of its most frequent schedule (a service of daily data alone, run every 6 hours, is not stale after
 * an hour), and never less than `staleAfterMs`.
 */
export function stalenessLimitMs(queries: readonly Query[], staleAfterMs: number): number {
  const fastest = Math.max(0, ...queries.map((q) => runsPerHour(q.schedule, q.timezone)));
  return fastest > 0 ? Math.max(staleAfterMs, (2 * HOUR_MS) / fastest) : staleAfterMs;
}

export interface Budget {
  requestsPerHour: number;
  /** Average requests in a 5-minute span; runs that fire together can briefly need more. */
  requestsPer5Min: number;
  /** Requests due at the same tick when every job fires together: each query's open window. */
  burst: number;
}

export function scheduleBudget(queries: readonly Query[]): Budget {
  let requestsPerHour = 0;
  let burst = 0;
  for (const query of queries) {
    const perRun = requestsPerRun(query);
    requestsPerHour += runsPerHour(query.schedule, query.timezone) * perRun;
    burst += 1;
  }
  return { requestsPerHour, requestsPer5Min: (requestsPerHour * RATE_WINDOW_MS) / HOUR_MS, burst };
}

/** Groups Radar answers per series when limitPerGroup is not set (inferred: its top 10, like Radar's own charts). */
const DEFAULT_GROUPS = 10;

/** The requests the names of the group keys cost (see names/groupNames.ts): at the first run, then every week. */
export interface NamesBudget {
  dimensions: string[];
  /** Group keys expected over time: each series' top groups, twice over for the ones that come and go. */
  keys: number;
  requestsPerRefresh: number;
}

export function namesBudget(queries: readonly Query[]): NamesBudget {
  const keys = new Map<string, number>();
  for (const query of queries) {
    if (!hasNames(query.dimension)) continue;
    const groups = 2 * (query.limitPerGroup ?? DEFAULT_GROUPS) * query.series.length;
    keys.set(query.dimension, (keys.get(query.dimension) ?? 0) + groups);
  }
  let requestsPerRefresh = 0;
  for (const [dimension, count] of keys)
    requestsPerRefresh += dimension === 'LOCATION' ? 1 : Math.ceil(count / NAMES_BATCH);
  return {
    dimensions: [...keys.keys()].sort(),
    keys: [...keys.values()].reduce((a, b) => a + b, 0),
    requestsPerRefresh,
  };
}
