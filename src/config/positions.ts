import { isMap, isSeq, type Document, type LineCounter, type Node } from 'yaml';

/** Where a value sits in the YAML source, for file:line:col messages. */
export interface SourcePosition {
  line: number;
  col: number;
}

export type ConfigPath = readonly PropertyKey[];

/**
 * The position of the node at `path`; with `keyName`, the position of that key inside the map at
 * `path` (for unknown keys). Falls back to the nearest ancestor that exists.
 */
export function positionOf(
  doc: Document,
  lines: LineCounter,
  path: ConfigPath,
  keyName?: string,
): SourcePosition {
  let node: unknown = doc.contents;
  let best = offsetOf(node);
  for (const segment of path) {
    const child = childOf(node, segment);
    if (child === undefined) break;
    node = child.value;
    best = offsetOf(child.key) ?? offsetOf(child.value) ?? best;
    const valueOffset = offsetOf(child.value);
    if (valueOffset !== undefined) best = valueOffset;
  }
  if (keyName !== undefined && isMap(node)) {
    const pair = node.items.find((item) => (item.key as { value?: unknown } | null)?.value === keyName);
    best = offsetOf(pair?.key) ?? best;
  }
  const { line, col } = lines.linePos(best ?? 0);
  return { line, col };
}

function childOf(node: unknown, segment: PropertyKey): { key?: unknown; value: unknown } | undefined {
  if (isMap(node)) {
    const pair = node.items.find((item) => (item.key as { value?: unknown } | null)?.value === segment);
    return pair ? { key: pair.key, value: pair.value } : undefined;
  }
  if (isSeq(node) && typeof segment === 'number') {
    const item = node.items[segment];
    return item === undefined ? undefined : { value: item };
  }
  return undefined;
}

function offsetOf(node: unknown): number | undefined {
  return (node as Node | null | undefined)?.range?.[0];
}

/** `jobs[0].filters.location[1]`: how messages name a place in the config. */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const segment of path) {
    out += typeof segment === 'number' ? `[${segment}]` : `${out ? '.' : ''}${String(segment)}`;
  }
  return out || '(top level)';
}
