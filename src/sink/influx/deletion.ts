import { unstorableReason } from '../storableText.js';
import type { GroupRemoval } from '../sink.js';

/**
 * How each InfluxDB API is asked to delete what a GroupRemoval names: the points of one series, in a
 * time range, of every group but those kept. Read from the servers' own code:
 * - 1.x: InfluxQL `DELETE FROM <measurement> WHERE <tag> = '…' AND <tag> != '…' AND time >= … AND
 *   time < …` (tried against influxd 1.6.7: `!=` on a tag and the time bounds are honoured);
 * - 2.x: `POST /api/v2/delete` with `{start, stop, predicate}`; the predicate takes `=` and `!=` joined
 *   by AND, no OR, values as double-quoted identifiers (influxdb v2.9.1 `predicate/parser.go`), and
 *   `stop` is inclusive (`http/delete_handler.go` passes both ends to the engine's range delete);
 * - 3.x: InfluxDB 3 Core has no way to delete points, only whole tables and databases
 *   (`influxdb3_server/src/http.rs`, 2026-06: DELETE routes for /api/v3/configure/table and
 *   /database only); InfluxDB 3 Enterprise deletes rows asynchronously, by its CLI, within 24 hours.
 * A kept group key that no line protocol can carry is left out of the list: no point holds it.
 */

/** One InfluxQL DELETE statement per removal, joined by `;` (one request for a window's series). */
export function influxqlDeletes(removals: readonly GroupRemoval[]): string {
  return removals
    .map((r) => {
      const conditions = [
        ...Object.entries(r.seriesTags).map(([tag, value]) => `${identifier(tag)} = ${stringLiteral(value)}`),
        ...storable(r.keep).map((key) => `${identifier(r.groupTag)} != ${stringLiteral(key)}`),
        `time >= ${stringLiteral(new Date(r.startMs).toISOString())}`,
        `time < ${stringLiteral(new Date(r.endMs).toISOString())}`,
      ];
      return `DELETE FROM ${identifier(r.measurement)} WHERE ${conditions.join(' AND ')}`;
    })
    .join('; ');
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
