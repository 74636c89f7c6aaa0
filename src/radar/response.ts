import { ServiceError } from '../errors.js';

/** A Radar annotation (`meta.confidenceInfo.annotations[]`): an outage, a cable cut, … */
export interface RadarAnnotation {
  dataSource: string;
  eventType: string;
  description: string;
  linkedUrl: string;
  startMs: number;
  endMs: number | undefined;
  instantaneous: boolean;
}

export interface RadarMeta {
  aggInterval: string | undefined;
  normalization: string | undefined;
  lastUpdatedMs: number | undefined;
  confidenceLevel: number | undefined;
  annotations: RadarAnnotation[];
  /**
   * `meta.dateRange`, one entry per series where the answer has it: the range Radar used, which it
   * adjusts to its own buckets (a weekly range to Mondays). An entry that cannot be read is undefined.
   */
  dateRanges?: ({ startMs: number; endMs: number } | undefined)[];
}

/** One series of a response: bucket starts and, per group key, one value per bucket (NaN = null). */
export interface RadarSeries {
  /** The key it had in `result` (`serie_0`, or the series name when names were sent). */
  key: string;
  timestampsMs: number[];
  groups: Map<string, Float64Array>;
}

export interface RadarResponse {
  meta: RadarMeta;
  series: RadarSeries[];
}

/** The body was not what the API promises. Retryable: a cut or garbled body is usually a passing fault. */
export class RadarResponseError extends ServiceError {
  constructor(message: string) {
    super('radar_bad_response', `malformed Radar response: ${message}`, { retryable: true });
  }
}

/**
 * A decimal number as text, exponent allowed: what Number() accepts minus what it should not
 * (empty text, spaces, hex/octal/binary, Infinity). Checked by hand because a regular expression per
 * value costs more than the rest of flattening.
 */
export function parseDecimal(text: string): number {
  const n = text.length;
  if (n === 0) return NaN;
  const first = text.charCodeAt(0);
  const last = text.charCodeAt(n - 1);
  const firstOk = (first >= 48 && first <= 57) || first === 45 || first === 43 || first === 46; // digit - + .
  const lastOk = (last >= 48 && last <= 57) || last === 46;
  if (!firstOk || !lastOk) return NaN;
  if (n > 1 && first === 48) {
    const second = text.charCodeAt(1) | 0x20; // lower case
    if (second === 120 || second === 111 || second === 98) return NaN; // 0x 0o 0b
  }
  return Number(text);
}

/**
 * Validates `result` of a successful answer. Unknown extra fields are ignored; `expectedKeys` lists, per
 * requested series, the keys it may have (its name, then `serie_<i>`), in request order.
 */
/**
 * The most groups one series of an answer may name, and values (groups × buckets, all series) one
 * answer may hold: far above what Radar's lists hold (about 250 locations, a few thousand regions,
 * `limitPerGroup` ASes), and far below what memory takes: a broken or hostile answer of a million groups
 * × one bucket, 22 MB (under maxResponseBytes), took 3.2 GB as groups and points.
 */
export const MAX_GROUPS_PER_SERIES = 20_000;
export const MAX_VALUES_PER_ANSWER = 5_000_000;

/** Why an answer is too large in its shape to be taken (undefined when it is not), before it is parsed. */
export function answerShape(result: unknown, request: { limitPerGroup?: number }): string | undefined {
  if (!isRecord(result)) return undefined;
  const maxGroups = Math.max(MAX_GROUPS_PER_SERIES, (request.limitPerGroup ?? 0) + 1);
  let values = 0;
  for (const [key, series] of Object.entries(result)) {
    if (key === 'meta' || !isRecord(series)) continue;
    let groups = 0;
    for (const group in series) if (group !== 'timestamps') groups++;
    const buckets = Array.isArray(series.timestamps) ? series.timestamps.length : 0;
    if (groups > maxGroups)
      return `Radar's answer names ${groups} groups in series "${key}", more than ${maxGroups} (no Radar list is that long: a broken or hostile answer); the window is not written`;
    values += groups * buckets;
  }
  if (values > MAX_VALUES_PER_ANSWER)
    return `Radar's answer holds ${values} values (groups × buckets), more than ${MAX_VALUES_PER_ANSWER}; the window is not written (if such windows are expected, make them smaller with windows:)`;
  return undefined;
}

export function parseRadarResult(
  result: unknown,
  expectedKeys: readonly (readonly string[])[],
): RadarResponse {
  if (!isRecord(result)) throw new RadarResponseError('"result" is not an object');
  const meta = parseMeta(result.meta);
  const series = expectedKeys.map((keys) => {
    const key = keys.find((k) => Object.hasOwn(result, k));
    if (key === undefined) {
      const present = Object.keys(result).filter((k) => k !== 'meta');
      throw new RadarResponseError(
        `series "${keys[0]}" is missing (result has ${present.length ? present.join(', ') : 'no series'})`,
      );
    }
    return parseSeries(key, result[key]);
  });
  return { meta, series };
}

function parseSeries(key: string, raw: unknown): RadarSeries {
  if (!isRecord(raw)) throw new RadarResponseError(`series "${key}" is not an object`);
  const stamps = raw.timestamps;
  if (!Array.isArray(stamps)) throw new RadarResponseError(`series "${key}" has no "timestamps" array`);
  const timestampsMs = stamps.map((stamp, i) => {
    // A date-time without a zone would be read as local time: hours off, silently.
    const ms = typeof stamp === 'string' && RFC3339.test(stamp) ? Date.parse(stamp) : NaN;
    if (!Number.isFinite(ms))
      throw new RadarResponseError(
        `series "${key}" timestamps[${i}] ${JSON.stringify(stamp)} is not an RFC 3339 date-time with a zone`,
      );
    return ms;
  });
  const groups = new Map<string, Float64Array>();
  for (const [group, values] of Object.entries(raw)) {
    if (group === 'timestamps') continue;
    if (!Array.isArray(values))
      throw new RadarResponseError(`series "${key}" group "${group}" is not an array`);
    if (values.length !== timestampsMs.length) {
      throw new RadarResponseError(
        `series "${key}" group "${group}" has ${values.length} values for ${timestampsMs.length} timestamps`,
      );
    }
    groups.set(group, parseValues(values, key, group));
  }
  return { key, timestampsMs, groups };
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

function parseValues(values: unknown[], key: string, group: string): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === null) out[i] = NaN;
    else if (typeof value === 'number' && Number.isFinite(value)) out[i] = value;
    else if (typeof value === 'string' && Number.isFinite((out[i] = parseDecimal(value)))) continue;
    else
      throw new RadarResponseError(
        `series "${key}" group "${group}" value ${i} ${JSON.stringify(value)} is not a number`,
      );
  }
  return out;
}

function parseMeta(raw: unknown): RadarMeta {
  const meta = isRecord(raw) ? raw : {};
  const confidence = isRecord(meta.confidenceInfo) ? meta.confidenceInfo : {};
  const annotations = Array.isArray(confidence.annotations) ? confidence.annotations : [];
  const lastUpdatedMs = typeof meta.lastUpdated === 'string' ? Date.parse(meta.lastUpdated) : NaN;
  return {
    aggInterval: typeof meta.aggInterval === 'string' ? meta.aggInterval : undefined,
    normalization: typeof meta.normalization === 'string' ? meta.normalization : undefined,
    lastUpdatedMs: Number.isFinite(lastUpdatedMs) ? lastUpdatedMs : undefined,
    confidenceLevel: typeof confidence.level === 'number' ? confidence.level : undefined,
    annotations: annotations.flatMap(parseAnnotation),
    dateRanges: Array.isArray(meta.dateRange) ? meta.dateRange.map(parseDateRange) : [],
  };
}

/** One `meta.dateRange` entry, `{startTime, endTime}`; undefined when either is not a time. */
function parseDateRange(raw: unknown): { startMs: number; endMs: number } | undefined {
  if (!isRecord(raw)) return undefined;
  const startMs = typeof raw.startTime === 'string' ? Date.parse(raw.startTime) : NaN;
  const endMs = typeof raw.endTime === 'string' ? Date.parse(raw.endTime) : NaN;
  return Number.isFinite(startMs) && Number.isFinite(endMs) ? { startMs, endMs } : undefined;
}

/** Annotations are informative: one we cannot read is skipped rather than failing the window. */
function parseAnnotation(raw: unknown): RadarAnnotation[] {
  if (!isRecord(raw)) return [];
  const startMs = typeof raw.startDate === 'string' ? Date.parse(raw.startDate) : NaN;
  if (!Number.isFinite(startMs)) return [];
  const endMs = typeof raw.endDate === 'string' ? Date.parse(raw.endDate) : NaN;
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  return [
    {
      dataSource: text(raw.dataSource),
      eventType: text(raw.eventType),
      description: text(raw.description),
      linkedUrl: text(raw.linkedUrl),
      startMs,
      endMs: Number.isFinite(endMs) ? endMs : undefined,
      instantaneous: raw.isInstantaneous === true,
    },
  ];
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
