import got from 'got';
import type { z } from 'zod';
import type { RadarSettings } from '../model/settings.js';
import { redact } from '../errors.js';
import { describeTransportError } from '../failures/transportError.js';
import { authHeaders, firstApiError, parseRetryAfterMs, secretsOf } from './apiHttp.js';
import { parseRatelimitHeader, type RateLimiter } from './limiter.js';
import { isRecord } from './response.js';
import { entityLists } from './entityAnswers.js';

/** How long a names request may take: names are never worth holding anything up for. */
export const ENTITY_TIMEOUT_MS = 5_000;
/** Entity answers are small (a page of 50 ASes is ~10 kB); anything far larger is not one. */
const MAX_ENTITY_BYTES = 4 * 1024 * 1024;

export type EntityList = keyof typeof entityLists;

const PATHS: Record<EntityList, string> = {
  asns: '/radar/entities/asns',
  locations: '/radar/entities/locations',
  geolocations: '/radar/geolocations',
};

/** Why an entity request gave no names: for a warning, never for a failure of anything else. */
export class EntityRequestError extends Error {}

/**
 * One GET of an entity list endpoint (names for group keys), through the shared rate limiter, with a
 * short timeout and no retry: the names come again at the next refresh, and nothing waits for them.
 * Kept apart from RadarClient on purpose: a refusal here must not stop data requests (RadarClient stops
 * every request once its credentials are refused), and a data request's retries and long timeout
 * must not apply here.
 */
export async function fetchEntityList<L extends EntityList>(
  settings: RadarSettings,
  limiter: RateLimiter,
  list: L,
  params: Record<string, string>,
  signal?: AbortSignal,
): Promise<z.infer<(typeof entityLists)[L]>> {
  const query = new URLSearchParams({ ...params, format: 'json' }).toString().replace(/\+/g, '%20');
  const url = `${settings.baseUrl}${PATHS[list]}?${query}`;
  const secrets = secretsOf(settings.auth);
  await limiter.acquire(signal);
  let text: string;
  let status: number;
  try {
    const pending = got(url, {
      headers: { ...authHeaders(settings.auth), accept: 'application/json' },
      timeout: { request: Math.min(ENTITY_TIMEOUT_MS, settings.timeoutMs) },
      retry: { limit: 0 },
      throwHttpErrors: false,
      responseType: 'text',
      ...(signal ? { signal } : {}),
    });
    void pending.on('downloadProgress', ({ transferred }) => {
      if (transferred > MAX_ENTITY_BYTES) pending.cancel();
    });
    const response = await pending;
    limiter.observeQuota(parseRatelimitHeader(response.headers.ratelimit));
    text = response.body;
    status = response.statusCode;
    // A 429 here locks the user out like one on the data: every Radar request waits (client.ts).
    if (status === 429)
      limiter.pauseFor(parseRetryAfterMs(response.headers['retry-after']) ?? settings.throttlePauseMs);
  } catch (error) {
    const { detail } = describeTransportError(error, Math.min(ENTITY_TIMEOUT_MS, settings.timeoutMs));
    throw new EntityRequestError(redact(`${PATHS[list]} could not be read: ${detail}`, secrets));
  } finally {
    limiter.release();
  }
  return readEntityAnswer(list, status, text, secrets);
}

/** An entity endpoint's answer as the API documents it, or an EntityRequestError saying how it is not. */
function readEntityAnswer<L extends EntityList>(
  list: L,
  status: number,
  text: string,
  secrets: readonly string[],
): z.infer<(typeof entityLists)[L]> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new EntityRequestError(
      `${PATHS[list]} answered HTTP ${status} with a body that is not JSON (${JSON.stringify(text.slice(0, 60))})`,
    );
  }
  if (status < 200 || status >= 300 || !isRecord(body) || body.success !== true) {
    const refused = status === 401 || status === 403;
    const message = firstApiError(body).apiMessage ?? 'success is not true';
    throw new EntityRequestError(
      redact(
        `${PATHS[list]} answered HTTP ${status}: ${message}` +
          (refused ? ': the names need the token permission Account › Radar › Read' : ''),
        secrets,
      ),
    );
  }
  const parsed = entityLists[list].safeParse(body.result);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new EntityRequestError(
      `${PATHS[list]} answered a result that is not what the API documents: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
    );
  }
  return parsed.data as z.infer<(typeof entityLists)[L]>;
}
