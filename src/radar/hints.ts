import type { RadarAuth } from '../model/settings.js';
import { DAY_MS, formatDuration } from '../util/time.js';
import type { RadarRequest } from './request.js';

/** What to tell a user when Radar refuses: which setting to change. */

/**
 * Whether Radar refused the size of the window: a 400 about the date range or interval (its wording is
 * not documented, so any mention of the range counts), or 422 "query above max cost" (code 2002).
 */
export function rangeRefused(status: number, apiCode: number | undefined, message: string): boolean {
  if (status === 422 || apiCode === 2002) return true;
  return status === 400 && /range|date|interval|too (long|large|big|wide)|span|period/i.test(message);
}

/** The fix for a window Radar will not answer: a smaller `windows:` entry for the interval. */
export function windowHint(request: RadarRequest): string {
  const series = request.series[0];
  const spanMs =
    series?.dateStart !== undefined && series.dateEnd !== undefined
      ? Date.parse(series.dateEnd) - Date.parse(series.dateStart)
      : undefined;
  const known = spanMs !== undefined && spanMs > 0;
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
