/**
 * InfluxDB refuses a batch in part when a field's type clashes with the type already stored:
 * `partial write: field type conflict: input field "points" on measurement "radar_fetches" is type
 * string, already exists as type integer dropped=5564` (1.x and 2.x alike). It wrote every other line.
 * Reading that reason names the refused lines at once, instead of halving the batch down to them
 * (thousands of requests for one window of conflicting points).
 */
export interface FieldConflict {
  measurement: string;
  field: string;
  type: string;
  /** How many lines InfluxDB dropped, when it says. */
  dropped: number | undefined;
}

const CONFLICT =
  /input field "((?:[^"\\]|\\.)*)" on measurement "((?:[^"\\]|\\.)*)" is type (\w+), already exists as type \w+/;

export function parseFieldConflict(reason: string): FieldConflict | undefined {
  if (!reason.includes('partial write')) return undefined;
  const match = CONFLICT.exec(reason);
  if (!match) return undefined;
  const dropped = /dropped=(\d+)/.exec(reason)?.[1];
  return {
    field: match[1]!,
    measurement: match[2]!,
    type: match[3]!,
    dropped: dropped === undefined ? undefined : Number(dropped),
  };
}

/** The lines of `lines` that carry the conflicting field with the refused type. */
export function linesInConflict(lines: readonly string[], conflict: FieldConflict): string[] {
  return lines.filter((line) => {
    const parts = splitLine(line);
    if (!parts || unescapeName(parts.measurement) !== conflict.measurement) return false;
    const value = parts.fields.get(conflict.field);
    return value !== undefined && fieldType(value) === conflict.type;
  });
}

/** Measurement (escaped) and field values by unescaped key; undefined for a line it cannot read. */
function splitLine(line: string): { measurement: string; fields: Map<string, string> } | undefined {
  let i = 0;
  const skipName = (stops: string): void => {
    while (i < line.length && !stops.includes(line[i]!)) i += line[i] === '\\' ? 2 : 1;
  };
  skipName(', ');
  const measurement = line.slice(0, i);
  skipName(' '); // the tags
  if (line[i] !== ' ') return undefined;
  i++;
  const fields = new Map<string, string>();
  while (i < line.length && line[i] !== ' ') {
    const keyStart = i;
    skipName('=');
    const key = unescapeName(line.slice(keyStart, i));
    i++; // '='
    const valueStart = i;
    if (line[i] === '"') {
      for (i++; i < line.length && line[i] !== '"'; i += line[i] === '\\' ? 2 : 1);
      i++;
    } else while (i < line.length && line[i] !== ',' && line[i] !== ' ') i++;
    fields.set(key, line.slice(valueStart, i));
    if (line[i] === ',') i++;
  }
  return { measurement, fields };
}

function unescapeName(text: string): string {
  return text.replace(/\\([,= ])/g, '$1');
}

/** The type names InfluxDB uses in its conflict messages. */
function fieldType(value: string): string {
  if (value.startsWith('"')) return 'string';
  if (/^-?\d+i$/.test(value)) return 'integer';
  if (/^\d+u$/.test(value)) return 'unsigned';
  if (/^(t|T|true|True|TRUE|f|F|false|False|FALSE)$/.test(value)) return 'boolean';
  return 'float';
}
