import { ServiceError } from '../../errors.js';
import { groupPoints, IntField, type FieldValue, type Point, type PointBatch } from '../../model/point.js';

/** A name or tag value that line protocol cannot carry. */
export class LineProtocolError extends ServiceError {
  constructor(message: string) {
    super('line_protocol_invalid', message);
  }
}

const SPECIAL_IN_TAG = /[,= ]/g;
const SPECIAL_IN_MEASUREMENT = /[, ]/g;
const AMBIGUOUS_IN_TAG = /\\([,= ]|$)/;
const AMBIGUOUS_IN_MEASUREMENT = /\\([, ]|$)/;

/**
 * Escapes a measurement, tag key, tag value or field key. InfluxDB 1.x unescapes only `\,` `\=` `\ `
 * and keeps every other backslash as it is, so a backslash right before one of those characters (or
 * at the end) cannot be written unambiguously: we refuse it rather than store something else.
 * Line breaks end a line and are refused as well.
 */
export function escapeKey(text: string, what: string, measurement = false): string {
  if (text.length === 0) throw new LineProtocolError(`${what} is empty`);
  if (/[\n\r]/.test(text))
    throw new LineProtocolError(`${what} ${JSON.stringify(text)} contains a line break`);
  const ambiguous = (measurement ? AMBIGUOUS_IN_MEASUREMENT : AMBIGUOUS_IN_TAG).exec(text);
  if (ambiguous) {
    throw new LineProtocolError(
      `${what} ${JSON.stringify(text)} has a backslash before "${ambiguous[1] || 'the end'}", which InfluxDB cannot store`,
    );
  }
  return text.replace(measurement ? SPECIAL_IN_MEASUREMENT : SPECIAL_IN_TAG, '\\$&');
}

function escapeStringField(text: string): string {
  return `"${text.replace(/[\\"]/g, '\\$&')}"`;
}

function formatField(value: FieldValue, what: string): string {
  if (value instanceof IntField) {
    if (!Number.isSafeInteger(value.value))
      throw new LineProtocolError(`${what} ${value.value} is not an integer`);
    return `${value.value}i`;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new LineProtocolError(`${what} ${value} is not a finite number`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return escapeStringField(value);
}

/**
 * Escaped `measurement,tag=value,…` per tags object: flatten gives every point of a series × group
 * the same tags object, so the escaping (most of the cost of a line) is done once per group rather
 * than once per point.
 */
const seriesKeys = new WeakMap<Record<string, string>, { measurement: string; key: string }>();

function seriesKey(measurement: string, tags: Record<string, string>): string {
  const cached = seriesKeys.get(tags);
  if (cached?.measurement === measurement) return cached.key;
  let key = escapeKey(measurement, 'measurement', true);
  for (const tag of Object.keys(tags).sort()) {
    const value = tags[tag]!;
    if (value === '') continue;
    key += `,${escapeKey(tag, 'tag key')}=${escapeKey(value, `tag ${tag}`)}`;
  }
  seriesKeys.set(tags, { measurement, key });
  return key;
}

/**
 * Lines of many points that share measurement and tags and have one float field: the hot path of
 * ingest (one call per series × group of a response). Times are millisecond integers as text. Throws LineProtocolError, before appending
 * anything, when the tags cannot be written.
 */
export function appendSeriesLines(
  out: string[],
  measurement: string,
  tags: Record<string, string>,
  field: string,
  timeTexts: readonly string[],
  values: readonly number[],
): void {
  const prefix = `${seriesKey(measurement, tags)} ${fieldKey(field)}=`;
  for (let i = 0; i < timeTexts.length; i++) {
    const value = values[i]!;
    if (!Number.isFinite(value))
      throw new LineProtocolError(`field ${field} ${value} is not a finite number`);
    out.push(prefix + String(value) + ' ' + timeTexts[i]);
  }
}

/** Field keys are the few names of the data model: each is escaped once. */
const fieldKeys = new Map<string, string>();

function fieldKey(key: string): string {
  let escaped = fieldKeys.get(key);
  if (escaped === undefined) {
    escaped = escapeKey(key, 'field key');
    if (fieldKeys.size < 1000) fieldKeys.set(key, escaped);
  }
  return escaped;
}

/** One line of line protocol, time in milliseconds (written with precision=ms). */
export function toLine(point: Point): string {
  let line = seriesKey(point.measurement, point.tags);
  let separator = ' ';
  for (const key in point.fields) {
    const value = point.fields[key]!;
    line +=
      separator +
      fieldKey(key) +
      '=' +
      (typeof value === 'number' && Number.isFinite(value)
        ? String(value)
        : formatField(value, `field ${key}`));
    separator = ',';
  }
  if (separator === ' ') throw new LineProtocolError(`point of ${point.measurement} has no fields`);
  if (!Number.isSafeInteger(point.timeMs))
    throw new LineProtocolError(`time ${point.timeMs} is not an integer`);
  return `${line} ${point.timeMs}`;
}

/** A batch as line protocol; the points it cannot carry are handed back with the first reason. */
export interface EncodedBatch {
  lines: string[];
  refused: Point[];
  refusedFromGroups: number;
  firstError: LineProtocolError | undefined;
}

export function encodeBatch(batch: PointBatch): EncodedBatch {
  const encoded: EncodedBatch = { lines: [], refused: [], refusedFromGroups: 0, firstError: undefined };
  const refuse = (points: Point[], error: unknown): void => {
    if (!(error instanceof LineProtocolError)) throw error;
    encoded.firstError ??= error;
    encoded.refused.push(...points);
  };
  for (const group of batch.groups) {
    try {
      appendSeriesLines(
        encoded.lines,
        group.measurement,
        group.tags,
        group.field,
        group.timeTexts,
        group.values,
      );
    } catch (error) {
      const points = groupPoints(group);
      refuse(points, error);
      encoded.refusedFromGroups += points.length;
    }
  }
  for (const point of batch.points) {
    try {
      encoded.lines.push(toLine(point));
    } catch (error) {
      refuse([point], error);
    }
  }
  return encoded;
}
