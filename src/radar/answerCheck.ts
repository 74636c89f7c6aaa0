import { DAY_MS, isoSeconds } from '../util/time.js';
import type { RadarRequest } from './request.js';
import { RadarResponseError, type RadarResponse } from './response.js';
import { INTERVAL_MS, TRAFFIC_LEVEL } from '../model/vocabulary.js';

/**
 * Checks an answer against the request it answers, before anything of it is flattened: a point in
 * the wrong bucket, or a bucket silently missing, is worse than a failed run because nobody notices.
 * The answer must say it is what was asked (`meta.aggInterval`, `meta.normalization`, when present:
 * Radar has been seen answering `RAW_VALUES` to a request for PERCENTAGE). Every series' timestamps
 * must be strictly increasing, on the interval's grid, inside the range asked for and not past
 * `meta.lastUpdated`. (That each timestamp carries a zone and that every group has one value per
 * timestamp is checked while parsing.) A failure is a malformed answer: retried like one, then the
 * window fails, never written in part.
 *
 * The range's end: Radar documents `dateEnd` as inclusive ("End of the date range (inclusive)",
 * cloudflare-typescript `src/resources/radar/netflows/netflows.ts`) and Cloudflare's published answers
 * hold the bucket that starts at `dateEnd` (docs/radar-api.md); our simulator's old idea, and maybe Radar
 * for some intervals, is `[dateStart, dateEnd)`. Both are accepted, answer by answer: a bucket that
 * starts exactly at `dateEnd` is allowed (and not held to `lastUpdated`, which may not reach it yet),
 * and flatten leaves it to the window that owns it. Anything later is refused.
 *
 * Weekly buckets: Radar does not document which weekday they start on, so they are only required to
 * start at midnight UTC, a whole number of weeks apart; the one bucket that starts before the range
 * but reaches into it is tolerated (flatten leaves it to the window that owns it).
 */
export function checkAnswer(response: RadarResponse, request: RadarRequest): void {
  checkMeta(response, request);
  const intervalMs = INTERVAL_MS[request.aggInterval];
  const weekly = request.aggInterval === '1w';
  const lastUpdatedMs = response.meta.lastUpdatedMs;
  response.series.forEach((series, index) => {
    // The traffic level is one column per series (`values`, cloudflare-typescript netflows.ts; its
    // name is not relied on): two would be two meanings under one series.
    if (request.dimension === TRAFFIC_LEVEL && series.groups.size > 1)
      throw new RadarResponseError(
        `series "${series.key}" of the traffic level has ${series.groups.size} columns (${[...series.groups.keys()].slice(0, 5).join(', ')}) where one, "values", was expected`,
      );
    const asked = request.series[index];
    if (asked?.dateStart === undefined || asked.dateEnd === undefined) return;
    const startMs = Date.parse(asked.dateStart);
    const endMs = Date.parse(asked.dateEnd);
    checkAdjustedRange(response.meta.dateRanges?.[index], startMs, endMs, intervalMs, series.key, request);
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
      if (t > endMs) fail(i, 'lies past the range asked for');
      if (t < endMs && lastUpdatedMs !== undefined && t > lastUpdatedMs)
        fail(i, `lies past meta.lastUpdated ${isoSeconds(lastUpdatedMs)}`);
    }
  });
}

/**
 * The range Radar says it used (`meta.dateRange`) against the one asked for. Radar adjusts a range to
 * its own buckets (weekly ranges to Mondays: real answers, docs/radar-api.md), which moves each end
 * back by less than one bucket; the buckets of such an answer are each written from the window that
 * holds them whole (flatten). A range that starts later than asked, or ends a bucket or more before
 * the end asked for, would leave buckets of the window out or put others in their place: refused,
 * never written under the wrong window. An answer without `meta.dateRange` is taken as asked.
 */
function checkAdjustedRange(
  adjusted: { startMs: number; endMs: number } | undefined,
  startMs: number,
  endMs: number,
  intervalMs: number,
  key: string,
  request: RadarRequest,
): void {
  if (!adjusted) return;
  if (adjusted.startMs <= startMs && adjusted.endMs > endMs - intervalMs) return;
  throw new RadarResponseError(
    `series "${key}" meta.dateRange ${isoSeconds(adjusted.startMs)} to ${isoSeconds(adjusted.endMs)} is not the range asked for ` +
      `(${isoSeconds(startMs)} to ${isoSeconds(endMs)} at ${request.aggInterval}) nor that range on Radar's own buckets: ` +
      `its buckets would not belong to this window`,
  );
}

/**
 * How Radar names each interval in `meta.aggInterval` (spec: `FIFTEEN_MINUTES | ONE_HOUR | ONE_DAY |
 * ONE_WEEK | ONE_MONTH`); the request's own spelling is accepted too, in any case.
 */
const META_INTERVAL_NAMES: Record<RadarRequest['aggInterval'], readonly string[]> = {
  '15m': ['FIFTEEN_MINUTES', '15M'],
  '1h': ['ONE_HOUR', '1H'],
  '1d': ['ONE_DAY', '1D'],
  '1w': ['ONE_WEEK', '1W'],
};

/**
 * The answer's own account of itself against the request: a daily answer to an hourly request, or raw
 * values where shares were asked for, would otherwise be written under tags that say something else.
 * A field the answer leaves out is tolerated (real answers lack parts of `meta` at times).
 */
function checkMeta(response: RadarResponse, request: RadarRequest): void {
  const { aggInterval, normalization } = response.meta;
  if (
    aggInterval !== undefined &&
    !META_INTERVAL_NAMES[request.aggInterval].includes(aggInterval.toUpperCase())
  )
    throw new RadarResponseError(
      `meta.aggInterval is ${JSON.stringify(aggInterval)}, but aggInterval ${request.aggInterval} (${META_INTERVAL_NAMES[request.aggInterval][0]}) was asked for`,
    );
  if (
    normalization !== undefined &&
    request.normalization !== undefined &&
    normalization.toUpperCase() !== request.normalization
  )
    throw new RadarResponseError(
      `meta.normalization is ${JSON.stringify(normalization)}, but normalization ${request.normalization} was asked for`,
    );
}
