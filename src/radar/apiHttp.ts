/** What every Radar request shares, data and entity endpoints alike: credentials, and how Radar's answers say what went wrong. */
import type { RadarAuth } from '../model/settings.js';
import { isRecord } from './response.js';
import type { RadarRequest } from './request.js';

/** The keys each requested series may have in `result`: its name when sent, else `serie_<i>`. */
export function expectedSeriesKeys(request: RadarRequest): string[][] {
  return request.series.map((s, i) => (s.name !== undefined ? [s.name, `serie_${i}`] : [`serie_${i}`]));
}

export function firstApiError(body: unknown): { apiCode?: number; apiMessage?: string } {
  const errors = isRecord(body) && Array.isArray(body.errors) ? body.errors : [];
  const first: unknown = errors[0];
  if (!isRecord(first)) return {};
  return {
    ...(typeof first.code === 'number' ? { apiCode: first.code } : {}),
    ...(typeof first.message === 'string' ? { apiMessage: first.message } : {}),
  };
}

/** `retry-after` in seconds (the only form Cloudflare sends), or an HTTP date. */
export function parseRetryAfterMs(
  header: string | string[] | undefined,
  nowMs = Date.now(),
): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - nowMs) : undefined;
}

export function authHeaders(auth: RadarAuth | undefined): Record<string, string> {
  if (!auth) return {};
  return auth.kind === 'token'
    ? { authorization: `Bearer ${auth.token}` }
    : { 'x-auth-email': auth.email, 'x-auth-key': auth.key };
}

export function secretsOf(auth: RadarAuth | undefined): string[] {
  if (!auth) return [];
  return auth.kind === 'token' ? [auth.token] : [auth.key];
}
