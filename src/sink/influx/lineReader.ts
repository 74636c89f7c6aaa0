/** Reads back a line of line protocol as this service writes it (escapeKey in lineProtocol.ts). */

/** Measurement, tags and field values (all unescaped keys); undefined for a line it cannot read. */
export function readLine(
  line: string,
): { measurement: string; tags: Map<string, string>; fields: Map<string, string>; time: string } | undefined {
  let i = 0;
  const readName = (stops: string): string => {
    const start = i;
    while (i < line.length && !stops.includes(line[i]!)) i += line[i] === '\\' ? 2 : 1;
    return unquote(line.slice(start, i));
  };
  const measurement = readName(', ');
  const tags = new Map<string, string>();
  while (line[i] === ',') {
    i++;
    const key = readName('=');
    i++;
    tags.set(key, readName(', '));
  }
  if (line[i] !== ' ') return undefined;
  i++;
  const fields = new Map<string, string>();
  while (i < line.length && line[i] !== ' ') {
    const key = readName('=');
    i++;
    const start = i;
    if (line[i] === '"') {
      for (i++; i < line.length && line[i] !== '"'; i += line[i] === '\\' ? 2 : 1);
      i++;
    } else while (i < line.length && line[i] !== ',' && line[i] !== ' ') i++;
    fields.set(key, line.slice(start, i));
    if (line[i] === ',') i++;
  }
  return { measurement, tags, fields, time: line.slice(i + 1) };
}

/** A name as InfluxDB 1.x stores it: it unescapes only `\,` `\=` and `\ ` (see escapeKey). */
export function unquote(text: string): string {
  return text.replace(/\\([,= ])/g, '$1');
}

/** A line's timestamp (its last field, ms as written), or NaN when it has none. */
export function lineTimeMs(line: string): number {
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}
