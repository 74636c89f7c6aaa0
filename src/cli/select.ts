import { UsageError } from '../errors.js';
import type { Query } from '../model/query.js';

/** Narrows the queries by job, dimension and interval; a value that matches nothing is a usage error. */
export function selectQueries(
  queries: Query[],
  filter: { jobs: readonly string[]; dimensions: readonly string[]; intervals: readonly string[] },
): Query[] {
  const pick = <K extends 'job' | 'dimension' | 'interval'>(
    list: Query[],
    key: K,
    wanted: readonly string[],
    option: string,
  ): Query[] => {
    if (wanted.length === 0) return list;
    const known = [...new Set(queries.map((q) => String(q[key])))];
    const unknown = wanted.filter((w) => !known.includes(w));
    if (unknown.length > 0)
      throw new UsageError(
        `${option} ${unknown.map((u) => `"${u}"`).join(', ')} matches no query; the config has ${known.join(', ')}`,
      );
    return list.filter((q) => wanted.includes(String(q[key])));
  };
  const selected = pick(
    pick(pick(queries, 'job', filter.jobs, '--job'), 'dimension', filter.dimensions, '--dimension'),
    'interval',
    filter.intervals,
    '--interval',
  );
  if (selected.length === 0)
    throw new UsageError('no query matches --job, --dimension and --interval together');
  return selected;
}
