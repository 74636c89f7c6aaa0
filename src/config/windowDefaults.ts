import { DAY_MS } from '../util/time.js';
import type { AggInterval } from '../radar/vocabulary.js';

export type { AggInterval };

/**
 * Window length per interval when jobs.yaml says nothing: small enough for Radar to accept
 * (radar-api.md: 15m in 7-day windows and 1h in ~31-day windows work, a year at 1h fails),
 * large enough to keep the number of requests low.
 */
export const DEFAULT_WINDOW_MS: Record<AggInterval, number> = {
  '15m': DAY_MS,
  '1h': 7 * DAY_MS,
  '1d': 364 * DAY_MS,
  '1w': 364 * DAY_MS,
};
