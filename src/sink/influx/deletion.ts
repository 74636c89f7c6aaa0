import { unstorableReason } from '../storableText.js';
import type { GroupRemoval } from '../sink.js';

/**
 * How each InfluxDB API is asked to delete what a GroupRemoval names: the points of one series, in a
 * time range, of every group but those kept. Read from the servers' own code:
 * - 1.x: first a look, `SELECT count(*) … GROUP BY <group tag>` over the series and range, then
 *   `DELETE FROM <measurement> WHERE <tag> = '…' AND (<group tag> = '…' OR …) AND time >= … AND
 *   time < …` naming only the groups found there and not kept, and no DELETE when there are none
 *   (tried against influxd 1.6.7: OR of tag equalities and the time bounds are honoured). Why not
 *   `<group tag> != '<each kept>'`, which needs no look: influxd 1.6.7 runs every DELETE over every
 *   shard of the database, and in each drops from the shard's index the series it matched that
 *   have no point left there (`tsdb/store.go` DeleteSeries, `tsdb/engine/tsm1/engine.go`
 *   deleteSeriesRange, "inherently racy if writes are occurring to the same … series"). A `!=`
 *   DELETE matched every group of the series in every shard — the groups of the neighbouring
 *   windows too — after every first fetch of a window: a backfill of a year sent 53 of them, and CI
 *   once saw one group's points vanish from one shard (a Monday-to-Monday week) after such a run. Now
 *   a DELETE is sent only where an answer really dropped a group, and it matches only those groups.
 *   A user who may write but not read is refused the look: for it, the `!=` form is sent as before;
 * - 2.x: `POST /api/v2/delete` with `{start, stop, predicate}`; the predicate takes `=` and `!=` joined
 *   by AND, no OR, values as double-quoted identifiers (influxdb v2.9.1 `predicate/parser.go`), and
 *   `stop` is inclusive (`http/delete_handler.go` passes both ends to the engine's range delete);
 * - 3.x: InfluxDB 3 Core has no way to delete points, only whole tables and databases
 *   (`influxdb3_server/src/http.rs`, 2026-06: DELETE routes for /api/v3/configure/table and
 *   /database only); InfluxDB 3 Enterprise deletes rows asynchronously, by its CLI, within 24 hours.
 * A kept group key that no line protocol can carry is left out of the list: no point holds it.
 */

/** The groups of a removal's series found in its range and not kept: what its DELETE names. */
export interface StaleGroups {
  removal: GroupRemoval;
  groups: readonly string[];
}

/** One InfluxQL SELECT per removal, joined by `;`: the groups its series holds in the range. */
export function influxqlGroupsFound(removals: readonly GroupRemoval[]): string {
  return removals
    .map(
      (r) =>
        `SELECT count(*) FROM ${identifier(r.measurement)} WHERE ${[...seriesConditions(r), ...rangeConditions(r)].join(' AND ')} ` +
        `GROUP BY ${identifier(r.groupTag)}`,
    )
    .join('; ');
}

/**
 * The answer to influxqlGroupsFound, read: per removal, the groups found and not kept. Throws on an
 * answer that is not InfluxDB's JSON or whose statement failed; a database not found holds nothing.
 */
export function staleGroupsIn(body: string, removals: readonly GroupRemoval[]): StaleGroups[] {
  const parsed = JSON.parse(body) as {
    error?: string;
    results?: { statement_id?: number; error?: string; series?: { tags?: Record<string, string> }[] }[];
  };
  const failed = parsed.error ?? parsed.results?.find((r) => r.error !== undefined)?.error;
  if (failed !== undefined && !/database not found/i.test(failed)) throw new Error(failed);
  return removals.map((removal, i) => {
    const result = parsed.results?.find((r) => (r.statement_id ?? 0) === i);
    const found = (result?.series ?? []).map((s) => s.tags?.[removal.groupTag]);
    const kept = new Set(removal.keep);
    return {
      removal,
      groups: found.filter((g): g is string => g !== undefined && !kept.has(g)).sort(),
    };
  });
}

/**
 * One InfluxQL DELETE statement per removal, joined by `;`, that names the groups kept (`!=`) instead
 * of those found: for a user who may write but not read, whom the look is refused.
 */
export function influxqlDeletesKeeping(removals: readonly GroupRemoval[]): string {
  return removals
    .map((r) => {
      const kept = storable(r.keep).map((key) => `${identifier(r.groupTag)} != ${stringLiteral(key)}`);
      const conditions = [...seriesConditions(r), ...kept, ...rangeConditions(r)];
      return `DELETE FROM ${identifier(r.measurement)} WHERE ${conditions.join(' AND ')}`;
    })
    .join('; ');
}

/** One InfluxQL DELETE statement per removal with stale groups, joined by `;`; '' when there are none. */
export function influxqlDeletes(stale: readonly StaleGroups[]): string {
  return stale
    .filter((s) => s.groups.length > 0)
    .map(({ removal, groups }) => {
      const named = groups.map((g) => `${identifier(removal.groupTag)} = ${stringLiteral(g)}`).join(' OR ');
      const conditions = [...seriesConditions(removal), `(${named})`, ...rangeConditions(removal)];
      return `DELETE FROM ${identifier(removal.measurement)} WHERE ${conditions.join(' AND ')}`;
    })
    .join('; ');
}

function seriesConditions(r: GroupRemoval): string[] {
  return Object.entries(r.seriesTags).map(([tag, value]) => `${identifier(tag)} = ${stringLiteral(value)}`);
}

function rangeConditions(r: GroupRemoval): string[] {
  return [
    `time >= ${stringLiteral(new Date(r.startMs).toISOString())}`,
    `time < ${stringLiteral(new Date(r.endMs).toISOString())}`,
  ];
}

/** The body of one `POST /api/v2/delete` for a removal. */
export function v2DeleteBody(removal: GroupRemoval): { start: string; stop: string; predicate: string } {
  const conditions = [
    `_measurement=${identifier(removal.measurement)}`,
    ...Object.entries(removal.seriesTags).map(([tag, value]) => `${identifier(tag)}=${identifier(value)}`),
    ...storable(removal.keep).map((key) => `${identifier(removal.groupTag)}!=${identifier(key)}`),
  ];
  return {
    start: new Date(removal.startMs).toISOString(),
    // Inclusive: the last nanosecond before the range's end.
    stop: new Date(removal.endMs - 1).toISOString().replace(/Z$/, '999999Z'),
    predicate: conditions.join(' AND '),
  };
}

function storable(keys: readonly string[]): string[] {
  return keys.filter((key) => unstorableReason(key) === undefined);
}

/** A double-quoted identifier (InfluxQL; the 2.x predicate reads values in the same form). */
function identifier(text: string): string {
  return `"${text.replace(/[\\"]/g, '\\$&')}"`;
}

function stringLiteral(text: string): string {
  return `'${text.replace(/[\\']/g, '\\$&')}'`;
}
