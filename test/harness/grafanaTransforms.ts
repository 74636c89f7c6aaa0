/**
 * What Grafana's transformations make of the frames of a panel's targets, for the few the shipped
 * dashboards use (src/grafana/namePanels.ts), as Grafana defines them (joinByField, filterByValue,
 * partitionByValues and a transformation's frame filter read in its source, calculateField and
 * organize from their documented options; none run here):
 * - a transformation's `filter` (packages/grafana-data/src/transformations/transformDataFrame.ts):
 *   the transformation sees only the frames the matcher takes (`byRefId`: the query's refId); the
 *   others are put back before its output, at the place of the first of them;
 * - joinByField (packages/grafana-data/src/transformations/transformers/joinByField.ts,
 *   joinDataFrames.ts), mode `outer`: one row per row of the first frame with the matching row of
 *   the others, and the others' rows that match nothing (uPlot's join: one row per distinct key, as
 *   the shipped tables have); mode `outerTabular` (joinOuterTabular): for every frame, every row
 *   with the first matching row of each other frame in turn, the fields in frame order after the
 *   join field, rows that come out identical kept once, in the order first made;
 * - filterByValue with isNotNull, include, match all (…/transformers/filterByValue.ts;
 *   valueMatchers/nullMatchers.ts: `value != null`, so undefined is null too);
 * - partitionByValues (public/app/features/transformers/partitionByValues/partitionByValues.ts,
 *   partition.ts): one frame per distinct combination of the fields' values, in the order first
 *   seen; with `naming.asLabels` those values (as `String(value)`) become the labels of every field
 *   of the frame, and without `keepFields` those fields leave it;
 * - calculateField, binary mode (…/transformers/calculateField.ts): left operator right, null when
 *   either is null;
 * - organize (…/transformers/organize.ts): excludeByName drops, renameByName renames.
 * A frame is a table-format InfluxQL result: one row per point with its tags as columns
 * (pkg/tsdb/influxdb/influxql/converter: table format), `time` for Grafana's `Time`.
 */
export type Row = Record<string, unknown>;
/** A frame: its rows, the refId of the query it came from, and its fields' labels (all share them here). */
export type Frame = Row[] & { refId?: string; labels?: Record<string, string> };

interface Transformation {
  id: string;
  filter?: { id: string; options: unknown };
  options: Record<string, unknown>;
}

/** The frames after the transformations; `refIds` are those of the frames' queries, in order. */
export function applyTransformations(
  frames: Row[][],
  transformations: readonly Transformation[],
  refIds: readonly string[] = [],
): Frame[] {
  let out: Frame[] = frames.map((rows, i) =>
    frameOf(rows, refIds[i] !== undefined ? { refId: refIds[i] } : {}),
  );
  for (const transformation of transformations) {
    if (!transformation.filter) {
      out = applyOne(out, transformation);
      continue;
    }
    const { id, options } = transformation.filter;
    if (id !== 'byRefId') throw new Error(`frame matcher ${id} is not modelled`);
    const taken = out.filter((f) => f.refId === options);
    const after = applyOne(taken, transformation);
    const others = out.filter((f) => f.refId !== options);
    const at = out.findIndex((f) => f.refId !== options);
    if (others.length > 0) after.splice(Math.max(at, 0), 0, ...others);
    out = after;
  }
  return out;
}

function applyOne(frames: Frame[], { id, options }: Transformation): Frame[] {
  const keep = (rows: Row[], like: Frame): Frame => frameOf(rows, like);
  switch (id) {
    case 'joinByField':
      if (frames.length < 2) return frames;
      if (options.mode === 'outerTabular')
        return [frameOf(joinOuterTabular(frames, options.byField as string))];
      if (options.mode === 'outer') return [frameOf(joinOuter(frames, options.byField as string))];
      throw new Error(`joinByField mode ${String(options.mode)} is not modelled`);
    case 'filterByValue':
      return frames.map((f) => keep(filterNotNull(f, options), f));
    case 'calculateField':
      return frames.map((f) => keep(calculate(f, options), f));
    case 'organize':
      return frames.map((f) => keep(organize(f, options), f));
    case 'partitionByValues':
      return frames.flatMap((f) => partitionByValues(f, options));
    case 'sortBy':
      return frames;
    default:
      throw new Error(`transformation ${id} is not modelled`);
  }
}

function frameOf(rows: Row[], like: { refId?: string; labels?: Record<string, string> } = {}): Frame {
  const frame: Frame = [...rows];
  if (like.refId !== undefined) frame.refId = like.refId;
  if (like.labels !== undefined) frame.labels = like.labels;
  return frame;
}

function joinOuter(frames: Row[][], byField: string): Row[] {
  const [first = [], ...others] = frames;
  const matched = new Set<Row>();
  const rows = first.map((row) => {
    let joined: Row = { ...row };
    for (const frame of others) {
      const match = frame.find((r) => r[byField] === row[byField]);
      if (match) {
        matched.add(match);
        joined = { ...match, ...joined, ...withoutTime(match) };
      }
    }
    return joined;
  });
  for (const frame of others) for (const r of frame) if (!matched.has(r)) rows.push({ ...r });
  return rows;
}

const withoutTime = (row: Row): Row => Object.fromEntries(Object.entries(row).filter(([k]) => k !== 'time'));

/** The field names of a frame, in the order its rows have them. */
const fieldsOf = (rows: Row[]): string[] => [...new Set(rows.flatMap((r) => Object.keys(r)))];

function joinOuterTabular(frames: Row[][], byField: string): Row[] {
  const tables = frames.filter((rows) => rows.length > 0 && byField in rows[0]!);
  const fieldsByTable = tables.map((rows) => fieldsOf(rows).filter((f) => f !== byField));
  const all = [byField, ...fieldsByTable.flat()];
  if (new Set(all).size !== all.length)
    throw new Error(`joinByField: two frames have a field of one name (${all.join(', ')}); not modelled`);
  const joined = new Map<string, Row>();
  for (let t = 0; t < tables.length; t++)
    for (let o = 0; o < tables.length; o++) {
      if (o === t) continue;
      for (const row of tables[t]!) {
        const out: Row = Object.fromEntries(all.map((f) => [f, undefined]));
        out[byField] = row[byField];
        for (const f of fieldsByTable[t]!) out[f] = row[f];
        const match = tables[o]!.find((r) => r[byField] === row[byField]);
        if (match) for (const f of fieldsByTable[o]!) out[f] = match[f];
        // Keyed by JSON.stringify of the row's values, as Grafana keys its rows (undefined becomes
        // null); a row made again keeps the place of the first.
        joined.set(JSON.stringify(all.map((f) => out[f])), out);
      }
    }
  return [...joined.values()];
}

function filterNotNull(rows: Row[], options: Record<string, unknown>): Row[] {
  const filters = options.filters as { fieldName: string; config: { id: string } }[];
  if (
    options.type !== 'include' ||
    options.match !== 'all' ||
    filters.some((f) => f.config.id !== 'isNotNull')
  )
    throw new Error('filterByValue: only include / all / isNotNull is modelled');
  return rows.filter((row) =>
    filters.every((f) => row[f.fieldName] !== undefined && row[f.fieldName] !== null),
  );
}

function partitionByValues(frame: Frame, options: Record<string, unknown>): Frame[] {
  const fields = (options.fields as string[]).filter((f) => frame.some((r) => f in r));
  if (fields.length === 0) return [frame];
  if ((options.naming as { asLabels?: boolean } | undefined)?.asLabels === false)
    throw new Error('partitionByValues: only naming.asLabels is modelled');
  const parts = new Map<string, { labels: Record<string, string>; rows: Row[] }>();
  for (const row of frame) {
    const values = fields.map((f) => row[f]);
    const key = JSON.stringify(values.map((v) => (v === undefined ? '\u0000undefined' : v)));
    let part = parts.get(key);
    if (!part) {
      part = { labels: Object.fromEntries(fields.map((f, i) => [f, String(values[i])])), rows: [] };
      parts.set(key, part);
    }
    part.rows.push(
      options.keepFields === true
        ? row
        : Object.fromEntries(Object.entries(row).filter(([k]) => !fields.includes(k))),
    );
  }
  return [...parts.values()].map(({ labels, rows }) =>
    frameOf(rows, {
      ...(frame.refId !== undefined ? { refId: frame.refId } : {}),
      labels: { ...frame.labels, ...labels },
    }),
  );
}

function calculate(rows: Row[], options: Record<string, unknown>): Row[] {
  const binary = options.binary as { left: string; operator: string; right: string };
  if (options.mode !== 'binary' || binary.operator !== '-')
    throw new Error('calculateField: only binary - is modelled');
  return rows.map((row) => {
    const left = row[binary.left];
    const right = row[binary.right];
    const value = typeof left === 'number' && typeof right === 'number' ? left - right : null;
    return { ...row, [options.alias as string]: value };
  });
}

function organize(rows: Row[], options: Record<string, unknown>): Row[] {
  const exclude = (options.excludeByName ?? {}) as Record<string, boolean>;
  const rename = (options.renameByName ?? {}) as Record<string, string>;
  return rows.map((row) =>
    Object.fromEntries(
      Object.entries(row)
        .filter(([k]) => !exclude[k] && !(k === 'time' && exclude.Time))
        .map(([k, v]) => [rename[k] ?? k, v]),
    ),
  );
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
  const numeric = fieldsOf(frame).filter((f) => f !== 'time' && frame.some((r) => typeof r[f] === 'number'));
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
