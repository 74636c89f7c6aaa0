import type { Query, QueryDefinition } from '../model/query.js';
import { canonical, type StateStore } from '../state/store.js';
import { ServiceError } from '../errors.js';
import { formatDuration } from '../util/time.js';

/** What a query asks Radar, besides its id: what its checkpoints belong to. */
export function definitionOf(query: Query): QueryDefinition {
  return {
    series: query.series.map((s) => ({ name: s.name, filters: s.filters })),
    normalization: query.normalization,
    limitPerGroup: query.limitPerGroup ?? null,
  };
}

/** "series "us" filters: location US,DE → FR,JP; normalization PERCENTAGE → MIN0_MAX" */
export function describeChange(saved: QueryDefinition, current: QueryDefinition): string {
  const changes: string[] = [];
  const names = (d: QueryDefinition) => d.series.map((s) => s.name).join(', ');
  if (names(saved) !== names(current)) changes.push(`series ${names(saved)} → ${names(current)}`);
  else
    saved.series.forEach((series, i) => {
      const was = describeFilters(series.filters);
      const now = describeFilters(current.series[i]!.filters);
      if (was !== now) changes.push(`series "${series.name}" filters ${was} → ${now}`);
    });
  if (saved.normalization !== current.normalization)
    changes.push(`normalization ${saved.normalization} → ${current.normalization}`);
  if (saved.limitPerGroup !== current.limitPerGroup)
    changes.push(`limitPerGroup ${saved.limitPerGroup ?? 'none'} → ${current.limitPerGroup ?? 'none'}`);
  return changes.join('; ') || 'changed';
}

/** "{location US,DE; product HTTP}", or "{none}": how every message and listing spells a series' filters. */
export function describeFilters(filters: QueryDefinition['series'][number]['filters']): string {
  const parts = Object.entries(filters)
    .filter(([, items]) => (items ?? []).length > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, items]) => `${name} ${(items ?? []).join(',')}`);
  return parts.length > 0 ? `{${parts.join('; ')}}` : '{none}';
}

/**
 * The queries whose definition changed since their checkpoints were saved, in words, with the two ways
 * on: a new job name, or an explicit reset. Continuing silently would write one definition's data
 * after another's under the same tags (US traffic up to a date, DE traffic after it), and skip the
 * new definition's look-back. Also tells the store which definitions to record from now on.
 */
export function definitionChanges(
  store: StateStore,
  queries: readonly Query[],
  /** Queries still running (a reload): what they asked when their run started counts as saved. */
  running: readonly Query[] = [],
): string | undefined {
  const current = new Map(queries.map((q) => [q.id, definitionOf(q)]));
  const changed = store.changedDefinitions(current);
  for (const query of running) {
    const now = current.get(query.id);
    const then = definitionOf(query);
    if (now && !changed.some((c) => c.id === query.id) && canonical(then) !== canonical(now))
      changed.push({ id: query.id, saved: then, current: now });
  }
  if (changed.length === 0) return undefined;
  const byId = new Map(queries.map((q) => [q.id, q]));
  const jobs = [...new Set(changed.map((c) => byId.get(c.id)!.job))];
  return [
    `the definition of ${changed.length === 1 ? 'a query' : `${changed.length} queries`} changed since ${changed.length === 1 ? 'its' : 'their'} checkpoints were saved in ${store.dir}:`,
    ...changed.map((c) => `  ${c.id}: ${describeChange(c.saved, c.current)}`),
    'Their checkpoints belong to what they asked before. Either:',
    `  - give ${jobs.length === 1 ? 'the job' : 'each job'} a new name: new queries, each starting ${formatDuration(byId.get(changed[0]!.id)!.lookbackMs)} (its look-back) ago, the old data staying under the old name; or`,
    `  - start them again under the same name: radar-netflows reset ${jobs.map((j) => `--job ${JSON.stringify(j)}`).join(' ')} (see the README, "Changing a job").`,
  ].join('\n');
}

/**
 * Refuses to run a query from checkpoints saved under another definition (a reload that slipped past
 * the checks, a state file edited by hand): it would write one definition's data after another's.
 */
export function checkDefinition(query: Query, store: StateStore): void {
  const saved = store.query(query.id)?.definition;
  if (saved && canonical(saved) !== canonical(definitionOf(query)))
    throw new ServiceError(
      'definition_changed',
      `${query.id}: its checkpoints in ${store.dir} belong to another definition (${describeChange(saved, definitionOf(query))}): ` +
        `not run; give the job a new name, or radar-netflows reset --job ${JSON.stringify(query.job)}`,
    );
}
