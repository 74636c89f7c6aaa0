/**
 * What Grafana's transformations make of the frames of a panel's targets, for the few the shipped
 * dashboards use (src/grafana/namePanels.ts), as Grafana defines them (joinByField and filterByValue
 * read in its source, calculateField and organize from their documented options; none run here):
 * - joinByField, mode outer (packages/grafana-data/src/transformations/transformers/joinByField.ts,
 *   joinDataFrames.ts): one row per row of the first frame with the matching row of the others, and the
 *   others' rows that match nothing;
 * - filterByValue with isNotNull, include, match all (…/transformers/filterByValue.ts);
 * - calculateField, binary mode (…/transformers/calculateField.ts): left operator right, null when
 *   either is null;
 * - organize (…/transformers/organize.ts): excludeByName drops, renameByName renames.
 * A frame is a table-format InfluxQL result: one row per point with its tags as columns.
 */
export type Row = Record<string, unknown>;

interface Transformation {
  id: string;
  options: Record<string, unknown>;
}

export function applyTransformations(frames: Row[][], transformations: readonly Transformation[]): Row[][] {
  let out = frames;
  for (const { id, options } of transformations) {
    if (id === 'joinByField') out = [joinOuter(out, options.byField as string)];
    else if (id === 'filterByValue') out = out.map((rows) => filterNotNull(rows, options));
    else if (id === 'calculateField') out = out.map((rows) => calculate(rows, options));
    else if (id === 'organize') out = out.map((rows) => organize(rows, options));
    else if (id !== 'sortBy') throw new Error(`transformation ${id} is not modelled`);
  }
  return out;
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
