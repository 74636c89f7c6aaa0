/**
 * The one place that decides what a failed exchange with Radar or InfluxDB means:
 * - retry:    a passing fault (network, timeout, 408, 5xx); try again with backoff
 * - throttle: we are asking too fast (429, or Radar's rate-limit code in a 200); pause every request
 * - drop:     InfluxDB refuses these points for good (400, 422: e.g. a field type conflict); dead-letter them
 * - split:    InfluxDB refuses the body's size (413): send it in halves
 * - fatal:    asking again cannot help (bad credentials, a request Radar calls invalid, unknown database)
 */
export type FailureOutcome = 'retry' | 'throttle' | 'drop' | 'split' | 'fatal';

export type Answer =
  | { kind: 'network'; code?: string }
  | { kind: 'timeout' }
  | { kind: 'http'; status: number; apiCode?: number };

/** Radar's codes (docs/radar-api.md): 1015 too many requests, 2000 internal error. */
const RADAR_THROTTLE_CODES = new Set([1015, 10429]);
const RADAR_RETRY_CODES = new Set([2000, 500]);

export function classifyRadarAnswer(answer: Answer): FailureOutcome {
  if (answer.kind !== 'http') return 'retry';
  const { status, apiCode } = answer;
  if (status === 429 || (apiCode !== undefined && RADAR_THROTTLE_CODES.has(apiCode))) return 'throttle';
  if (status === 408 || status >= 500) return 'retry';
  // A 200 carrying success:false: only Radar's own code tells whether it passes.
  if (status < 300) return apiCode !== undefined && !RADAR_RETRY_CODES.has(apiCode) ? 'fatal' : 'retry';
  return 'fatal';
}

export function classifyInfluxAnswer(answer: Answer): FailureOutcome {
  // The server answered, but in a form node's HTTP parser cannot read (HPE_*): influxd does that when it
  // echoes a line it refuses into a header. Retrying the same body would get the same answer for ever;
  // it is a refusal of this body, narrowed like one.
  if (answer.kind === 'network' && answer.code?.startsWith('HPE_')) return 'drop';
  if (answer.kind !== 'http') return 'retry';
  const { status } = answer;
  if (status === 429) return 'throttle';
  if (status === 408 || status >= 500) return 'retry';
  if (status === 413) return 'split';
  if (status === 400 || status === 422) return 'drop';
  return 'fatal';
}
