import { lineTimeMs, readLine, unquote } from './lineReader.js';

/**
 * What InfluxDB's refusal of a write says about its lines, so that a batch holding refused points is
 * settled in one or two requests rather than halved down to single lines (2N−1 requests: 3,087 for one
 * window of 1,544 lines beyond a retention policy). Every form below is read from the servers' own code:
 *
 * - 1.x and 2.x partial writes (InfluxDB wrote every other line): `partial write: <reason> dropped=N`
 *   (influxdb 1.x `coordinator/points_writer.go`, `tsdb/shard.go`; 2.x `v1/coordinator`):
 *   - `field type conflict: input field "f" on measurement "m" is type string, already exists as type
 *     float`: the lines of `m` whose field `f` has that type;
 *   - `points beyond retention policy`: the N oldest lines (a point is dropped when its time is before
 *     now − the policy's duration, so the dropped ones are exactly the oldest);
 *   - `max-values-per-tag limit exceeded (…): measurement="m" tag="t" value="v"`: the lines of `m` with
 *     tag `t` = `v`; the others are written again, because influxd 1.6 was seen to lose a good line
 *     next to such a refusal (dropped=1, two lines missing: checked against a real server);
 * - parse errors, `unable to parse '<line>': <why>` (one per line, newline-separated): the named lines
 *   (1.x writes the lines that parsed, 2.x none: the rest is written again either way, harmlessly);
 * - 3.x: `{"error": "partial write of line protocol occurred", "data": [{"original_line", "line_number",
 *   "error_message"}]}` (influxdb `influxdb3_server/src/http.rs`, `Error::PartialLpWrite`; valid lines
 *   are written, `accept_partial` defaulting to true), or `"parsing failed for write_lp endpoint"` with
 *   one such line in `data`.
 * Anything else (a series limit, a refusal in words we do not know) names no line: the caller narrows
 * by halves, within a bound.
 */
export type RefusalReading =
  /** The database wrote every other line; `complete` false: it dropped more than these (write the rest again). */
  | { took: 'rest'; refused: string[]; reason: string; complete: boolean }
  /**
   * The database wrote every other line, and `dropped` of these `suspects` (fewer than all): a field
   * type conflict in one shard (1.x and 2.x write each shard on its own) drops only the lines of that
   * shard's time range, and the message names the type, not the lines.
   */
  | { took: 'some'; suspects: string[]; dropped: number; reason: string }
  /** The database wrote nothing; these lines are to blame, the rest may be written again. */
  | { took: 'none'; refused: string[]; reason: string }
  /** The answer does not say which lines were refused. */
  | { took: 'unknown'; reason: string };

export function readRefusal(lines: readonly string[], body: string): RefusalReading {
  const json = parseJson(body);
  const v3 = json && readV3(lines, json);
  if (v3) return v3;
  const reason = reasonText(json, body);
  const unknown: RefusalReading = { took: 'unknown', reason };
  const parseErrors = [...reason.matchAll(/unable to parse '(.*)': [^\n]*/g)].map((m) => m[1]!);
  if (parseErrors.length > 0) {
    const named = new Set(parseErrors);
    const refused = lines.filter((line) => named.has(line));
    return refused.length > 0 ? { took: 'none', refused, reason } : unknown;
  }
  if (!reason.includes('partial write')) return unknown;
  const dropped = droppedCount(reason);
  const refused = namedByPartialWrite(lines, reason, dropped);
  if (!refused || refused.length === 0) return unknown;
  if (TAG_LIMIT.test(reason)) return { took: 'none', refused, reason };
  if (Number.isInteger(dropped) && refused.length > dropped)
    return { took: 'some', suspects: refused, dropped, reason };
  return { took: 'rest', refused, reason, complete: refused.length === dropped };
}

/** `dropped=N` of a partial write, when the answer says it. */
export function droppedCount(reason: string): number {
  return Number(/dropped=(\d+)/.exec(reason)?.[1] ?? NaN);
}

function namedByPartialWrite(
  lines: readonly string[],
  reason: string,
  dropped: number,
): string[] | undefined {
  const conflict = FIELD_CONFLICT.exec(reason);
  if (conflict) {
    const [, field, measurement, type] = conflict as unknown as [string, string, string, string];
    return lines.filter((line) => {
      const parts = readLine(line);
      const value =
        parts?.measurement === unquote(measurement) ? parts.fields.get(unquote(field)) : undefined;
      return value !== undefined && fieldType(value) === type;
    });
  }
  if (/points beyond retention policy/.test(reason) && Number.isInteger(dropped) && dropped > 0) {
    // Sorted by time, oldest first; a line whose time cannot be read is not among them.
    const timed = lines.flatMap((line) => {
      const timeMs = lineTimeMs(line);
      return Number.isFinite(timeMs) ? [{ line, timeMs }] : [];
    });
    timed.sort((a, b) => a.timeMs - b.timeMs);
    return timed.slice(0, dropped).map((t) => t.line);
  }
  const tagLimit = TAG_LIMIT.exec(reason);
  if (tagLimit) {
    const [, measurement, tag, value] = tagLimit as unknown as [string, string, string, string];
    return lines.filter((line) => {
      const parts = readLine(line);
      return parts?.measurement === measurement && parts.tags.get(tag) === value;
    });
  }
  return undefined;
}

const FIELD_CONFLICT =
  /input field "((?:[^"\\]|\\.)*)" on measurement "((?:[^"\\]|\\.)*)" is type (\w+), already exists as type \w+/;
const TAG_LIMIT =
  /max-values-per-tag limit exceeded[^:]*: measurement="([^"]*)" tag="([^"]*)" value="([^"]*)"/;

/** 3.x's JSON: the refused lines are listed, by text and by number (1-based). */
function readV3(lines: readonly string[], json: Record<string, unknown>): RefusalReading | undefined {
  const error = typeof json.error === 'string' ? json.error : undefined;
  const data = Array.isArray(json.data)
    ? json.data
    : json.data && typeof json.data === 'object'
      ? [json.data]
      : [];
  if (error === undefined || data.length === 0) return undefined;
  const texts = new Set<string>();
  const numbers = new Set<number>();
  const messages: string[] = [];
  for (const item of data as Record<string, unknown>[]) {
    if (typeof item?.original_line === 'string') texts.add(item.original_line);
    if (typeof item?.line_number === 'number') numbers.add(item.line_number);
    if (typeof item?.error_message === 'string' && messages.length < 3) messages.push(item.error_message);
  }
  const refused = lines.filter((line, i) => texts.has(line) || (texts.size === 0 && numbers.has(i + 1)));
  if (refused.length === 0) return undefined;
  const reason = `${error}${messages.length > 0 ? `: ${messages.join('; ')}` : ''}`;
  return /partial write/.test(error)
    ? { took: 'rest', refused, reason, complete: true }
    : { took: 'none', refused, reason };
}

function parseJson(body: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** InfluxDB's words: `{"error": …}` (1.x, 3.x), `{"code", "message": …}` (2.x), or the raw text. */
export function reasonText(json: Record<string, unknown> | undefined, body: string): string {
  const reason = json?.error ?? json?.message;
  if (typeof reason === 'string') return reason;
  return body.trim().slice(0, 300) || '(empty body)';
}

/** The reason of an answer body, for messages. */
export function serverReason(body: string): string {
  return reasonText(parseJson(body), body);
}

/** The type names InfluxDB uses in its conflict messages. */
function fieldType(value: string): string {
  if (value.startsWith('"')) return 'string';
  if (/^-?\d+i$/.test(value)) return 'integer';
  if (/^\d+u$/.test(value)) return 'unsigned';
  if (/^(t|T|true|True|TRUE|f|F|false|False|FALSE)$/.test(value)) return 'boolean';
  return 'float';
}
