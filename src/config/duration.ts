import { MAX_DATE_RANGE } from '../radar/vocabulary.js';
import { DAY_MS, HOUR_MS, WEEK_MS } from '../util/time.js';

/** Radar's `dateRange` syntax: `<n>d` with n in 1..364, or `<n>w` with n in 1..52. */
export function parseDateRange(text: string): number | undefined {
  const match = /^([1-9]\d*)([dw])$/.exec(text);
  if (!match) return undefined;
  const n = Number(match[1]);
  if (match[2] === 'd') return n <= MAX_DATE_RANGE.d ? n * DAY_MS : undefined;
  return n <= MAX_DATE_RANGE.w ? n * WEEK_MS : undefined;
}

export const DATE_RANGE_HINT = `<n>d (1 to ${MAX_DATE_RANGE.d}) or <n>w (1 to ${MAX_DATE_RANGE.w}), e.g. 7d or 4w`;

/** A length of time: `<n>s`, `<n>m`, `<n>h`, `<n>d` or `<n>w`. */
export function parseDuration(text: string): number | undefined {
  const match = /^([1-9]\d*)([smhdw])$/.exec(text);
  if (!match) return undefined;
  const unit = { s: 1000, m: 60_000, h: HOUR_MS, d: DAY_MS, w: WEEK_MS }[
    match[2] as 's' | 'm' | 'h' | 'd' | 'w'
  ];
  return Number(match[1]) * unit;
}

/** A window length: `<n>h`, `<n>d` or `<n>w`. */
export function parseWindowLength(text: string): number | undefined {
  const match = /^([1-9]\d*)([hdw])$/.exec(text);
  if (!match) return undefined;
  const unit = { h: HOUR_MS, d: DAY_MS, w: WEEK_MS }[match[2] as 'h' | 'd' | 'w'];
  return Number(match[1]) * unit;
}
