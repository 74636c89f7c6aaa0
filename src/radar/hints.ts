import type { RadarAuth } from '../model/settings.js';
import { DAY_MS, formatDuration } from '../util/time.js';
import type { RadarRequest } from './request.js';
import { KNOWN_GOOD_WINDOW_MS } from './vocabulary.js';

/**
 * Whether Radar refused the size of the window: a 400 about the date range or interval (its wording is
 * not documented, so any mention of the range counts), or 422 "query above max cost" (code 2002).
 */
export function rangeRefused(status: number, apiCode: number | undefined, message: string): boolean {
  if (status === 422 || apiCode === 2002) return true;
  return status === 400 && /range|date|interval|too (long|large|big|wide)|span|period/i.test(message);
}

/**
 * Whether Radar refused this request for the size of its window: a refusal that says so (rangeRefused),
 * or a bare 400 "Internal Error" for a window longer than the interval is known to be answered in,
 * which third parties saw Radar give for windows too large (docs/radar-api.md).
 */
export function windowRefused(
  status: number,
  apiCode: number | undefined,
  message: string,
  request: RadarRequest,
): boolean {
  if (rangeRefused(status, apiCode, message)) return true;
  const spanMs = spanOf(request);
  return (
    status === 400 &&
    /^\s*internal error\.?\s*$/i.test(message) &&
    spanMs !== undefined &&
    spanMs > KNOWN_GOOD_WINDOW_MS[request.aggInterval]
  );
}

/** How long the request's (first) series spans, when it gives start and end. */
export function spanOf(request: RadarRequest): number | undefined {
  const series = request.series[0];
  if (series?.dateStart === undefined || series.dateEnd === undefined) return undefined;
  const spanMs = Date.parse(series.dateEnd) - Date.parse(series.dateStart);
  return spanMs > 0 ? spanMs : undefined;
}

/** The fix for a window Radar will not answer: a smaller `windows:` entry for the interval. */
export function windowHint(request: RadarRequest): string {
  const spanMs = spanOf(request);
  const known = spanMs !== undefined;
  // Half the window, in whole days: still few requests, and clear of whatever limit was crossed.
  const smaller = known ? `${Math.max(1, Math.floor(spanMs / 2 / DAY_MS))}d` : '1d';
  return (
    `Radar may not answer ${request.aggInterval} data for a window this large` +
    `${known ? ` (this request spans ${formatDuration(spanMs)})` : ''}; ` +
    `set a smaller window for ${request.aggInterval} under \`windows:\` in jobs.yaml, e.g. \`windows: { ${request.aggInterval}: ${smaller} }\``
  );
}

/** Which variables to check when Radar refuses the credentials. */
export function credentialsHint(auth: RadarAuth | undefined): string {
  return auth?.kind === 'key'
    ? 'check CLOUDFLARE_API_EMAIL and CLOUDFLARE_API_KEY (better: an API token in CLOUDFLARE_API_TOKEN)'
    : 'check CLOUDFLARE_API_TOKEN (an API token with Account > Radar > Read)';
}
