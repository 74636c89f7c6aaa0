import { ServiceError } from '../errors.js';

/** An integer field (`123i`); plain numbers are always written as floats. */
export class IntField {
  constructor(readonly value: number) {}
}

export type FieldValue = number | string | boolean | IntField;

export interface Point {
  measurement: string;
  /** Written in key order; empty values are left out (InfluxDB has no empty tags). */
  tags: Record<string, string>;
  fields: Record<string, FieldValue>;
  timeMs: number;
}

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
  if (/[\n\r]/.test(text)) throw new LineProtocolError(`${what} ${JSON.stringify(text)} contains a line break`);
  const ambiguous = (measurement ? AMBIGUOUS_IN_MEASUREMENT : AMBIGUOUS_IN_TAG).exec(text);
  if (ambiguous) {
    throw new LineProtocolError(`${what} ${JSON.stringify(text)} has a backslash before "${ambiguous[1] || 'the end'}", which InfluxDB cannot store`);
  }
  return text.replace(measurement ? SPECIAL_IN_MEASUREMENT : SPECIAL_IN_TAG, '\\$&');
}

function escapeStringField(text: string): string {
  return `"${text.replace(/[\\"]/g, '\\$&')}"`;
}

function formatField(value: FieldValue, what: string): string {
  if (value instanceof IntField) {
    if (!Number.isSafeInteger(value.value)) throw new LineProtocolError(`${what} ${value.value} is not an integer`);
    return `${value.value}i`;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new LineProtocolError(`${what} ${value} is not a finite number`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return escapeStringField(value);
}

/** One line of line protocol, time in milliseconds (written with precision=ms). */
export function toLine(point: Point): string {
  let line = escapeKey(point.measurement, 'measurement', true);
  for (const key of Object.keys(point.tags).sort()) {
    const value = point.tags[key]!;
    if (value === '') continue;
    line += `,${escapeKey(key, 'tag key')}=${escapeKey(value, `tag ${key}`)}`;
  }
  let separator = ' ';
  for (const [key, value] of Object.entries(point.fields)) {
    line += `${separator}${escapeKey(key, 'field key')}=${formatField(value, `field ${key}`)}`;
    separator = ',';
  }
  if (separator === ' ') throw new LineProtocolError(`point of ${point.measurement} has no fields`);
  if (!Number.isSafeInteger(point.timeMs)) throw new LineProtocolError(`time ${point.timeMs} is not an integer`);
  return `${line} ${point.timeMs}`;
}
