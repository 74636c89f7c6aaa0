/**
 * An independent reader of InfluxDB 1.x line protocol, written from its rules rather than from our
 * writer, to check the writer against: in names, a backslash escapes only the characters special
 * there (`,` and space in the measurement; `,` `=` space in tag keys, tag values and field keys) and
 * is kept as it is before anything else; in string fields it escapes `"` and `\`.
 */
export interface ParsedLine {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number | string | boolean | { int: number }>;
  time: number;
}

export function parseLine(line: string): ParsedLine {
  let i = 0;
  const readName = (specials: string, stops: string): string => {
    let out = '';
    while (i < line.length && !stops.includes(line[i]!)) {
      if (line[i] === '\\' && i + 1 < line.length && specials.includes(line[i + 1]!)) {
        out += line[i + 1];
        i += 2;
      } else out += line[i++];
    }
    return out;
  };
  const expect = (char: string): void => {
    if (line[i] !== char)
      throw new Error(`expected ${JSON.stringify(char)} at ${i} in ${JSON.stringify(line)}`);
    i++;
  };
  const measurement = readName(', ', ', ');
  const tags: Record<string, string> = {};
  while (line[i] === ',') {
    i++;
    const key = readName(',= ', '=');
    expect('=');
    define(tags, key, readName(',= ', ', '));
  }
  expect(' ');
  const fields: ParsedLine['fields'] = {};
  for (;;) {
    const key = readName(',= ', '=');
    expect('=');
    if (line[i] === '"') {
      i++;
      let value = '';
      while (line[i] !== '"') {
        if (i >= line.length) throw new Error('unterminated string');
        if (line[i] === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) i++;
        value += line[i++];
      }
      i++;
      define(fields, key, value);
    } else {
      const raw = readName('', ', ');
      if (/^-?\d+i$/.test(raw)) define(fields, key, { int: Number(raw.slice(0, -1)) });
      else if (raw === 'true' || raw === 'false') define(fields, key, raw === 'true');
      else if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)) define(fields, key, Number(raw));
      else throw new Error(`bad field value ${raw}`);
    }
    if (line[i] !== ',') break;
    i++;
  }
  expect(' ');
  const time = line.slice(i);
  if (!/^-?\d+$/.test(time)) throw new Error(`bad time ${time}`);
  return { measurement, tags, fields, time: Number(time) };
}

/** An own property whatever the key, `__proto__` included. */
function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
