/**
 * A panel's transformations run by Grafana's own code (`@grafana/data`'s transformDataFrame and
 * standardTransformers: joinByField, filterByValue, calculateField, organize, sortBy, and the per-query
 * `filter` of a transformation), on the frames Grafana makes of table-format InfluxQL answers.
 *
 * Three parts are models, for want of published JavaScript:
 * - the frames: Grafana's backend converts a table-format InfluxQL answer into one frame per query,
 *   a field per column, the time column named `Time` (pkg/tsdb/influxdb/influxql/converter, Go);
 * - partitionByValues, which is Grafana's app code, not @grafana/data
 *   (public/app/features/transformers/partitionByValues/partitionByValues.ts, partition.ts): one frame
 *   per distinct combination of the fields' values, in the order first seen; with `naming.asLabels`
 *   those values (as `String(value)`) become the labels of every field of the frame, and without
 *   `keepFields` those fields leave it. It is registered beside the standard ones;
 * - the `${__field.labels.x}` template of a displayName override (fieldDisplayNames, below): the field
 *   macros are the app's template service's, not @grafana/data's.
 * Rows go in and come out (a row per index of a frame, `Time` read back as `time`), so the tests read
 * them as they read InfluxDB's answers.
 */
import { createRequire } from 'node:module';
import type { DataFrame, DataTransformerConfig, DataTransformerInfo, Field } from '@grafana/data';
import { grafanaData } from './grafanaData.js';

const { FieldType, standardTransformers, standardTransformersRegistry, transformDataFrame } = grafanaData;
const { lastValueFrom, map } = createRequire(import.meta.url)('rxjs') as typeof import('rxjs');

/**
 * Grafana 13 runs dashboards in scenes: transformDataFrame then takes a transformation's options as
 * they are (variables were interpolated before), which it decides by `window.__grafanaSceneContext`
 * (transformDataFrame.ts, getOperator). Node has no window: one that says so.
 */
const browser = globalThis as { window?: { __grafanaSceneContext?: unknown } };
browser.window ??= {};
browser.window.__grafanaSceneContext ??= {};

export type Row = Record<string, unknown>;
/** A frame: its rows, the refId of the query it came from, and its fields' labels (all share them here). */
export type Frame = Row[] & { refId?: string; labels?: Record<string, string> };

/** A transformation as a dashboard holds it. */
export interface Transformation {
  id: string;
  filter?: { id: string; options: unknown };
  options: Record<string, unknown>;
}

/** The ids a transformation may have here: Grafana's published ones, and the modelled partitionByValues. */
export function knownTransformation(id: string): boolean {
  registerOnce();
  return standardTransformersRegistry.getIfExists(id) !== undefined;
}

/** The frames after the transformations; `refIds` are those of the frames' queries, in order. */
export async function applyTransformations(
  frames: Row[][],
  transformations: readonly Transformation[],
  refIds: readonly string[] = [],
): Promise<Frame[]> {
  registerOnce();
  for (const { id } of transformations)
    if (!knownTransformation(id)) throw new Error(`transformation ${id} is neither Grafana's nor modelled`);
  const input = frames.map((rows, i) => toFrame(rows, refIds[i]));
  const output = await lastValueFrom(transformDataFrame(transformations as DataTransformerConfig[], input));
  return output.map(rowsOf);
}

/** A table-format InfluxQL answer as Grafana's converter makes it a frame: a field per column. */
function toFrame(rows: Row[], refId: string | undefined): DataFrame {
  const names = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const fields: Field[] = names.map((name) => {
    const values = rows.map((r) => (r[name] === undefined ? null : r[name]));
    const first = values.find((v) => v !== null);
    const type =
      name === 'time'
        ? FieldType.time
        : typeof first === 'number'
          ? FieldType.number
          : typeof first === 'boolean'
            ? FieldType.boolean
            : FieldType.string;
    return { name: name === 'time' ? 'Time' : name, type, config: {}, values };
  });
  return { ...(refId !== undefined ? { refId } : {}), fields, length: rows.length };
}

/**
 * A frame's rows, a field's null left out as the InfluxDB answers leave it, `Time` as `time`. A field
 * is keyed by the name the transformations left it: organize and renameByName rename by setting
 * `config.displayName`, not `name` (transformers/rename.ts), and a table shows that.
 */
function rowsOf(frame: DataFrame): Frame {
  const rows: Frame = [];
  const keys = frame.fields.map((f) => f.config.displayName ?? (f.name === 'Time' ? 'time' : f.name));
  for (let i = 0; i < frame.length; i++) {
    const row: Row = {};
    frame.fields.forEach((field, f) => {
      const value = field.values[i] as unknown;
      if (value !== null && value !== undefined) row[keys[f]!] = value;
    });
    rows.push(row);
  }
  if (frame.refId !== undefined) rows.refId = frame.refId;
  const labels = frame.fields.find((f) => f.labels)?.labels;
  if (labels) rows.labels = { ...labels };
  return rows;
}

let registered = false;
function registerOnce(): void {
  if (registered) return;
  registered = true;
  // The registry's items are the transformers with their editors (app code); running one takes only
  // its `transformation`, a function that loads it (transformDataFrame.ts, getTransformation).
  // Two of standardTransformers share an id (seriesToColumns is joinByField's older name): one each.
  const byId = new Map<string, DataTransformerInfo>();
  for (const info of [...(Object.values(standardTransformers) as DataTransformerInfo[]), partitionByValues])
    if (!byId.has(info.id)) byId.set(info.id, info as DataTransformerInfo);
  standardTransformersRegistry.setInit(() =>
    [...byId.values()].map((info) => ({ id: info.id, name: info.name, transformation: () => info }) as never),
  );
}

interface PartitionOptions {
  fields: string[];
  keepFields?: boolean;
  naming?: { asLabels?: boolean };
}

/** The model of Grafana's app-code partitionByValues (see the header). */
const partitionByValues: DataTransformerInfo<PartitionOptions> = {
  id: 'partitionByValues',
  name: 'Partition by values',
  description: 'A model of public/app/features/transformers/partitionByValues/partitionByValues.ts',
  defaultOptions: { fields: [] },
  operator: (options) => (source) =>
    source.pipe(map((frames: DataFrame[]) => frames.flatMap((frame) => partition(frame, options)))),
};

function partition(frame: DataFrame, options: PartitionOptions): DataFrame[] {
  const by = frame.fields.filter((f) => options.fields.includes(f.name));
  if (by.length === 0) return [frame];
  if (options.naming?.asLabels === false)
    throw new Error('partitionByValues: only naming.asLabels is modelled');
  const parts = new Map<string, { labels: Record<string, string>; rows: number[] }>();
  for (let i = 0; i < frame.length; i++) {
    const values = by.map((f) => f.values[i] as unknown);
    const key = JSON.stringify(values.map((v) => (v === undefined ? '\u0000undefined' : v)));
    let part = parts.get(key);
    if (!part) {
      part = { labels: Object.fromEntries(by.map((f, j) => [f.name, String(values[j])])), rows: [] };
      parts.set(key, part);
    }
    part.rows.push(i);
  }
  const kept = options.keepFields === true ? frame.fields : frame.fields.filter((f) => !by.includes(f));
  return [...parts.values()].map(({ labels, rows }) => ({
    ...(frame.refId !== undefined ? { refId: frame.refId } : {}),
    length: rows.length,
    fields: kept.map((f) => ({
      ...f,
      labels: { ...f.labels, ...labels },
      values: rows.map((i) => f.values[i] as unknown),
    })),
  }));
}

/**
 * The names Grafana shows for a frame's numeric fields (legend, tooltip, bars) when the panel's
 * overrides set `displayName`: packages/grafana-data/src/field/fieldOverrides.ts applies each
 * matching override's value, a `byType` matcher matching the field's type; the value is a template
 * where `${__field.labels.x}` is the field's label x and `${__field.name}` its name
 * (stringOverrideProcessor with expandTemplateVars, the data macros of the field).
 */
export function fieldDisplayNames(
  frame: Frame,
  overrides: readonly {
    matcher: { id: string; options: unknown };
    properties: { id: string; value: unknown }[];
  }[],
): Map<string, string> {
  const names = new Map<string, string>();
  const numeric = [...new Set(frame.flatMap((r) => Object.keys(r)))].filter(
    (f) => f !== 'time' && frame.some((r) => typeof r[f] === 'number'),
  );
  for (const field of numeric) {
    for (const { matcher, properties } of overrides) {
      if (matcher.id !== 'byType') continue;
      if (matcher.options !== 'number') continue;
      for (const p of properties)
        if (p.id === 'displayName')
          names.set(
            field,
            String(p.value)
              .replace(/\$\{__field\.labels\.(\w+)\}/g, (_, label: string) => frame.labels?.[label] ?? '')
              .replace(/\$\{__field\.name\}/g, field),
          );
    }
  }
  return names;
}
