import { ServiceError } from '../../errors.js';
import {
  groupPoints,
  IntField,
  type FieldValue,
  type Point,
  type PointBatch,
  type TrafficGroup,
} from '../../model/point.js';
import { LineBatch } from './lineBatch.js';
import { cleanText, unstorableReason } from '../storableText.js';

/** A name or tag value that line protocol cannot carry. */
export class LineProtocolError extends ServiceError {
  constructor(message: string) {
    super('line_protocol_invalid', message);
  }
}

const SPECIAL_IN_TAG = /[,= ]/g;
const SPECIAL_IN_MEASUREMENT = /[, ]/g;

/**
 * Escapes a measurement, tag key, tag value or field key, or refuses one that InfluxDB could not give
 * back unchanged (see unstorableReason: empty, control characters, lone surrogates, an ambiguous
 * backslash): refused rather than stored as something else.
 */
export function escapeKey(text: string, what: string, measurement = false): string {
  const problem = unstorableReason(text, measurement ? 'measurement' : 'tag');
  if (problem) throw new LineProtocolError(`${what} ${JSON.stringify(text)} ${problem}`);
  return text.replace(measurement ? SPECIAL_IN_MEASUREMENT : SPECIAL_IN_TAG, '\\$&');
}

/** A string field, cleaned by the one rule for display text (no line break ever reaches a line). */
function escapeStringField(text: string): string {
  return `"${cleanText(text).replace(/[\\"]/g, '\\$&')}"`;
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
 * than once per point. A single point (an annotation) leaves out its empty tags; a traffic group
 * needs every one (a point without its `group_key` would join another group's series), so an empty
 * one refuses the group.
 */
const seriesKeys = new WeakMap<Record<string, string>, { measurement: string; key: string }>();

function seriesKey(measurement: string, tags: Record<string, string>, emptyTags: 'skip' | 'refuse'): string {
  const cached = seriesKeys.get(tags);
  if (cached?.measurement === measurement) return cached.key;
  let key = escapeKey(measurement, 'measurement', true);
  for (const tag of Object.keys(tags).sort()) {
    const value = tags[tag]!;
    if (value === '' && emptyTags === 'skip') continue;
    key += `,${escapeKey(tag, 'tag key')}=${escapeKey(value, `tag ${tag}`)}`;
  }
  seriesKeys.set(tags, { measurement, key });
  return key;
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
  let line = seriesKey(point.measurement, point.tags, 'skip');
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

/** A float field's values, all finite, or a LineProtocolError naming the first that is not. */
function checkFinite(field: string, values: readonly number[]): void {
  const bad = values.find((value) => !Number.isFinite(value));
  if (bad !== undefined) throw new LineProtocolError(`field ${field} ${bad} is not a finite number`);
}

/** What the encoder could not carry: the points, by reason (each refused group or point its own). */
class Refusals {
  private readonly byReason = new Map<string, Point[]>();

  /** Runs `encode`; a LineProtocolError refuses what it was encoding: a whole group, or one point. */
  attempt<T>(encode: () => T, refused: TrafficGroup | Point): T | undefined {
    try {
      return encode();
    } catch (error) {
      if (!(error instanceof LineProtocolError)) throw error;
      const points = 'timesMs' in refused ? groupPoints(refused) : [refused];
      const kept = this.byReason.get(error.message);
      if (kept) kept.push(...points);
      else this.byReason.set(error.message, points);
      return undefined;
    }
  }

  report(): EncoderRefusal[] {
    return [...this.byReason].map(([reason, points]) => ({ reason, points }));
  }
}

/** The single points' lines; those line protocol cannot carry are refused. */
function pointLines(points: readonly Point[], refusals: Refusals): string[] {
  const lines: string[] = [];
  for (const point of points) {
    const line = refusals.attempt(() => toLine(point), point);
    if (line !== undefined) lines.push(line);
  }
  return lines;
}

/** Points line protocol cannot carry, for one reason. */
export interface EncoderRefusal {
  reason: string;
  points: Point[];
}

/** A batch as a request body; the points it cannot carry are handed back, by reason. */
export interface EncodedBody {
  body: LineBatch;
  refused: EncoderRefusal[];
}

/** `measurement,tags field=` as bytes, per tags object (see seriesKey). */
const groupPrefixes = new WeakMap<Record<string, string>, { key: string; bytes: Buffer }>();

function groupPrefix(group: TrafficGroup): Buffer {
  const key = `${group.measurement}\u0000${group.field}`;
  const cached = groupPrefixes.get(group.tags);
  if (cached?.key === key) return cached.bytes;
  const bytes = Buffer.from(
    `${seriesKey(group.measurement, group.tags, 'refuse')} ${fieldKey(group.field)}=`,
  );
  groupPrefixes.set(group.tags, { key, bytes });
  return bytes;
}

/** The longest text of a float (`-2.2250738585072014e-308`) and of a millisecond time, and 2 separators. */
const MAX_VALUE_AND_TIME = 24 + 16 + 2;

/** ASCII text (numbers, times) byte by byte: cheaper than a call into Buffer for a dozen characters. */
function putAscii(body: Buffer, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) body[at++] = text.charCodeAt(i);
  return at;
}

/**
 * The batch as one request body, the one encoder of every sink (InfluxDB 1.x, 2.x/3.x, --dry-run;
 * each traffic line is byte for byte what toLine makes of its point: a property test): a traffic group's
 * `measurement,tags field=` is encoded once, and each of its points adds its value and time to it,
 * with no string per line. A group line protocol cannot carry is refused whole, before any of it is
 * written.
 */
export function encodeBody(batch: PointBatch): EncodedBody {
  const refusals = new Refusals();
  const prefixes = batch.groups.map((group) =>
    refusals.attempt(() => {
      checkFinite(group.field, group.values);
      return groupPrefix(group);
    }, group),
  );
  const lines = pointLines(batch.points, refusals);
  let size = 0;
  let count = lines.length;
  batch.groups.forEach((group, g) => {
    const prefix = prefixes[g];
    if (!prefix) return;
    size += group.timesMs.length * (prefix.length + MAX_VALUE_AND_TIME);
    count += group.timesMs.length;
  });
  for (const line of lines) size += Buffer.byteLength(line) + 1;
  const body = Buffer.allocUnsafe(size);
  let at = 0;
  batch.groups.forEach((group, g) => {
    const prefix = prefixes[g];
    if (!prefix) return;
    const { timeTexts, values } = group;
    for (let i = 0; i < timeTexts.length; i++) {
      body.set(prefix, at);
      at += prefix.length;
      at = putAscii(body, at, String(values[i]));
      body[at++] = 0x20;
      at = putAscii(body, at, timeTexts[i]!);
      body[at++] = 0x0a;
    }
  });
  const trafficEnd = at;
  for (const line of lines) {
    at += body.write(line, at);
    body[at++] = 0x0a;
  }
  const text = body.subarray(0, Math.max(0, at - 1));
  // Traffic lines hold no newline (line protocol refuses one in a tag, and values are numbers);
  // the single points keep their own strings, which may.
  const trafficLines = () =>
    trafficEnd === 0
      ? []
      : body
          .subarray(0, trafficEnd - 1)
          .toString('utf8')
          .split('\n');
  return {
    body: new LineBatch(text, count, () => [...trafficLines(), ...lines]),
    refused: refusals.report(),
  };
}
