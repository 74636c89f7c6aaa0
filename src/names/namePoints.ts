import type { Point } from '../model/point.js';
import { unstorableReason } from '../sink/storableText.js';
import type { NameCatalog } from './catalog.js';

/** The measurement of the names: one series per dimension × group key, the newest point is the name. */
export const NAMES_MEASUREMENT = 'radar_names';

/** An AS number as a group key may hold it. */
export const AS_NUMBER = /^\d{1,10}$/;

/**
 * The radar_names points of the keys seen: the catalog's name of each, at the time it was fetched; a
 * key without one (not fetched yet, unknown to Radar, `other`, a dimension without names) gets its id
 * as its label, at the time it was first seen, so that every group a panel draws has a label to show
 * (a Grafana legend built from a join has no fallback for a missing one) and a name fetched later is
 * the newer point.
 */
export function namePoints(
  seen: ReadonlyMap<string, ReadonlySet<string>>,
  catalog: NameCatalog,
  nowMs: number,
): Point[] {
  const points: Point[] = [];
  for (const [dimension, keys] of seen)
    for (const key of keys) {
      // A key the traffic could not store (its points are in the dead letters with the reason) has no
      // series to name; an empty one would even be written without its group_key, naming no group.
      if (unstorableReason(key) !== undefined) continue;
      const name = catalog.get(dimension, key);
      const tags = { dimension, group_key: key };
      if (!name) {
        const label = idLabel(dimension, key);
        const timeMs = catalog.firstSeen(dimension, key, nowMs);
        const fields = { label, ...pickerOption(label, key) };
        points.push({ measurement: NAMES_MEASUREMENT, tags, fields, timeMs });
        continue;
      }
      points.push({
        measurement: NAMES_MEASUREMENT,
        tags,
        fields: {
          name: name.name,
          label: name.label,
          ...pickerOption(name.label, key),
          ...(name.country !== undefined ? { country: name.country } : {}),
          ...(name.countryName !== undefined ? { country_name: name.countryName } : {}),
          ...(name.latitude !== undefined ? { latitude: name.latitude } : {}),
          ...(name.longitude !== undefined ? { longitude: name.longitude } : {}),
        },
        timeMs: name.fetchedMs,
      });
    }
  return points;
}

/**
 * The label and the id in one string, `Cloudflare (AS13335)|13335`: a Grafana variable's options come
 * from one string field of its query (the InfluxDB datasource's toMetricFindValue), and its regex
 * splits that into what the picker shows and the value a query gets, the id after the last `|` (a
 * name may hold one: "Foo | Telecom"). An id holding a `|` would be offered as its tail, another
 * group: it gets no option, and is drawn under All only.
 */
export function pickerOption(label: string, groupKey: string): { option?: string } {
  return groupKey.includes('|') ? {} : { option: `${label}|${groupKey}` };
}

/** What a group without a name is shown as: its id, an AS number as `AS13335` (how users search for it). */
export function idLabel(dimension: string, groupKey: string): string {
  return dimension === 'AS' && AS_NUMBER.test(groupKey) ? `AS${groupKey}` : groupKey;
}
