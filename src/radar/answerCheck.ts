import { DAY_MS, isoSeconds } from '../util/time.js';
import type { RadarRequest } from './request.js';
import { RadarResponseError, type RadarResponse } from './response.js';
import { INTERVAL_MS } from '../model/vocabulary.js';

/**
 * Checks an answer against the request it answers, before anything of it is flattened: a point in
 * the wrong bucket, or a bucket silently missing, is worse than a failed run because nobody notices.
 * Every series' timestamps must be strictly increasing, on the interval's grid, inside the range
 * asked for and not past `meta.lastUpdated`. (That each timestamp carries a zone and that every group
 * has one value per timestamp is checked while parsing.) A failure is a malformed answer: retried
 * like one, then the window fails, never written in part.
 *
 * Weekly buckets: Radar does not document which weekday they start on, so they are only required to
 * start at midnight UTC, a whole number of weeks apart; the one bucket that starts before the range
 * but reaches into it is tolerated (flatten leaves it to the window that owns it).
 */
export function checkAnswer(response: RadarResponse, request: RadarRequest): void {
  const intervalMs = INTERVAL_MS[request.aggInterval];
  const weekly = request.aggInterval === '1w';
  const lastUpdatedMs = response.meta.lastUpdatedMs;
  response.series.forEach((series, index) => {
    const asked = request.series[index];
    if (asked?.dateStart === undefined || asked.dateEnd === undefined) return;
    const startMs = Date.parse(asked.dateStart);
    const endMs = Date.parse(asked.dateEnd);
    const stamps = series.timestampsMs;
    const fail = (i: number, why: string): never => {
      throw new RadarResponseError(
        `series "${series.key}" timestamps[${i}] ${isoSeconds(stamps[i]!)} ${why} (asked ${asked.dateStart} to ${asked.dateEnd} at ${request.aggInterval})`,
      );
    };
    for (let i = 0; i < stamps.length; i++) {
      const t = stamps[i]!;
      if (i > 0 && t <= stamps[i - 1]!) fail(i, `does not come after ${isoSeconds(stamps[i - 1]!)}`);
      const onGrid = weekly ? t % DAY_MS === 0 && (t - stamps[0]!) % intervalMs === 0 : t % intervalMs === 0;
      if (!onGrid) fail(i, `is not on the ${request.aggInterval} grid`);
      if (t < startMs && !(weekly && t + intervalMs > startMs)) fail(i, 'lies before the range asked for');
      if (t >= endMs) fail(i, 'lies past the range asked for');
      if (lastUpdatedMs !== undefined && t > lastUpdatedMs)
        fail(i, `lies past meta.lastUpdated ${isoSeconds(lastUpdatedMs)}`);
    }
  });
}

/**
 * How many complete buckets of [startMs, endMs) Radar's data should hold: those that end by
 * `meta.lastUpdated` (the newest bucket may still be filling). Weekly buckets allow one less, their
 * weekday being unknown (see checkAnswer).
 */
export function expectedBuckets(
  aggInterval: RadarRequest['aggInterval'],
  startMs: number,
  endMs: number,
  lastUpdatedMs: number | undefined,
): number {
  const intervalMs = INTERVAL_MS[aggInterval];
  const coveredMs = Math.min(endMs, lastUpdatedMs ?? endMs) - startMs;
  const buckets = Math.max(0, Math.floor(coveredMs / intervalMs));
  return aggInterval === '1w' ? Math.max(0, buckets - 1) : buckets;
}
