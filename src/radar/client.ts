import got, { type Response } from 'got';
import pRetry from 'p-retry';
import type { Logger } from 'winston';
import type { RadarSettings } from '../model/settings.js';
import { authHeaders, expectedSeriesKeys, firstApiError, parseRetryAfterMs, secretsOf } from './apiHttp.js';
import { CancelledError, redact, ServiceError } from '../errors.js';
import { RADAR_CREDENTIALS_REFUSED, RadarApiError } from './apiError.js';
import { classifyRadarAnswer, type FailureOutcome } from '../failures/classify.js';
import { describeTransportError } from '../failures/transportError.js';
import { systemClock, type Clock } from '../util/time.js';
import { parseRatelimitHeader, type RateLimiter } from './limiter.js';
import { checkAnswer } from './answerCheck.js';
import { queryString, requestPath, validateRadarRequest, type RadarRequest } from './request.js';
import {
  answerShape,
  isRecord,
  parseRadarResult,
  RadarResponseError,
  type RadarResponse,
} from './response.js';
import { credentialsHint, windowHint, windowRefused } from './hints.js';
import { yieldToEventLoop } from '../util/eventLoop.js';

export { RADAR_CREDENTIALS_REFUSED, RadarApiError } from './apiError.js';

/** What one request was answered, unchecked (see RadarClient.probe). */
export interface RadarProbe {
  /** Undefined when no answer came (network, timeout). */
  status?: number;
  /** The rate-limit headers Radar sent (`ratelimit`, `ratelimit-policy`, `retry-after` …). */
  headers: Record<string, string>;
  response?: RadarResponse;
  error?: Error;
}

export interface FetchResult {
  response: RadarResponse;
  attempts: number;
  durationMs: number;
}

export interface RadarClientOptions {
  settings: RadarSettings;
  limiter: RateLimiter;
  logger: Logger;
  clock?: Clock;
  /** Aborts waits, retries and requests in flight: the end of a shutdown's grace period. */
  signal?: AbortSignal;
  /** Told of every attempt's outcome (metrics). */
  onAttempt?: (outcome: 'ok' | FailureOutcome, willRetry: boolean) => void;
  /** How long each exchange with Radar took, answered or not (the request-duration histogram of /metrics). */
  onExchange?: (seconds: number) => void;
}

/**
 * GET /radar/netflows/timeseries_groups/{dimension} with validation before sending, retries through
 * p-retry (got's own retry is off: one retry layer), the shared rate limiter, and a validated result.
 */
export class RadarClient {
  private readonly clock: Clock;
  /** Radar refused our credentials: every later request would be refused too, so none is sent. */
  private credentialsRefused: RadarApiError | undefined;
  private credentialsTold = false;

  constructor(private readonly options: RadarClientOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /** Radar's refusal of our credentials, once it came: every later request fails with it, unsent. */
  get refusedCredentials(): RadarApiError | undefined {
    return this.credentialsRefused;
  }

  /**
   * One request, retried as needed. `stop` (a shutdown's first step) cancels it while it waits for its
   * turn or between attempts; a request already on the wire runs on until the client's own signal
   * (the end of the grace period).
   */
  async fetch(
    request: RadarRequest,
    context: Record<string, unknown> = {},
    stop?: AbortSignal,
    /** Counts the attempts as they are made: what a caller records of a request that failed for good. */
    tally: { attempts: number } = { attempts: 0 },
  ): Promise<FetchResult> {
    validateRadarRequest(request);
    const startedMs = this.clock.monotonicMs();
    const waits = [this.options.signal, stop].filter((s): s is AbortSignal => s !== undefined);
    const waitSignal = waits.length > 1 ? AbortSignal.any(waits) : waits[0];
    const response = await this.retrying(request, context, () => tally.attempts++, waitSignal);
    return {
      response,
      attempts: tally.attempts,
      durationMs: Math.round(this.clock.monotonicMs() - startedMs),
    };
  }

  /** One request with p-retry around it; `counted` is told of each attempt. */
  private retrying(
    request: RadarRequest,
    context: Record<string, unknown>,
    counted: () => void,
    waitSignal: AbortSignal | undefined,
  ): Promise<RadarResponse> {
    const { settings, limiter, logger } = this.options;
    return pRetry(
      async () => {
        if (this.credentialsRefused) throw this.refusedAgain(this.credentialsRefused);
        await limiter.acquire(waitSignal);
        try {
          if (this.credentialsRefused) throw this.refusedAgain(this.credentialsRefused);
          counted(); // an attempt is a request sent
          const response = await this.attempt(request);
          this.options.onAttempt?.('ok', false);
          return response;
        } finally {
          limiter.release();
        }
      },
      {
        retries: settings.retries,
        ...(waitSignal ? { signal: waitSignal } : {}),
        minTimeout: settings.retryDelayMs,
        maxTimeout: 60_000,
        randomize: true,
        shouldRetry: ({ error }) => error instanceof ServiceError && error.retryable,
        onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
          // Given up for a shutdown: no request failed.
          if (waitSignal?.aborted) return;
          // The refusal of our credentials is told once, however many requests it stops.
          if ((error as ServiceError).code === RADAR_CREDENTIALS_REFUSED) {
            if (this.credentialsTold) return;
            this.credentialsTold = true;
          }
          if (error instanceof RadarApiError && error.outcome === 'throttle') {
            limiter.pauseFor(error.retryAfterMs ?? settings.throttlePauseMs);
          }
          const retrying = error instanceof ServiceError && error.retryable && retriesLeft > 0;
          this.options.onAttempt?.(error instanceof RadarApiError ? error.outcome : 'retry', retrying);
          logger.log(
            retrying ? 'warn' : 'error',
            `Radar request failed${retrying ? ', retrying' : ''}: ${error.message}`,
            {
              ...context,
              attempt: attemptNumber,
              ...(retrying ? { retriesLeft } : {}),
              code: (error as ServiceError).code,
            },
          );
        },
      },
    );
  }

  /** The refusal, for a request not sent because of it: its own object, one per request refused. */
  private refusedAgain(first: RadarApiError): RadarApiError {
    return new RadarApiError(first.message, {
      outcome: first.outcome,
      ...(first.status !== undefined ? { status: first.status } : {}),
      ...(first.apiCode !== undefined ? { apiCode: first.apiCode } : {}),
    });
  }

  private async attempt(request: RadarRequest): Promise<RadarResponse> {
    const answer = await this.send(request);
    await yieldToEventLoop();
    const response = this.interpret(answer, request);
    checkAnswer(response, request);
    return response;
  }

  /**
   * One attempt through the rate limiter, with no retry and no check against the request: what Radar
   * answers, its status and rate-limit headers (`doctor`, which reports on Radar itself).
   */
  async probe(request: RadarRequest): Promise<RadarProbe> {
    validateRadarRequest(request);
    await this.options.limiter.acquire(this.options.signal);
    try {
      const answer = await this.send(request);
      const headers = Object.fromEntries(
        Object.entries(answer.headers).filter(
          (entry): entry is [string, string] =>
            /^(x-)?ratelimit|^retry-after$/i.test(entry[0]) && typeof entry[1] === 'string',
        ),
      );
      try {
        return { status: answer.statusCode, headers, response: this.interpret(answer, request) };
      } catch (error) {
        return { status: answer.statusCode, headers, error: error as Error };
      }
    } catch (error) {
      return { headers: {}, error: error as Error };
    } finally {
      this.options.limiter.release();
    }
  }

  private async send(request: RadarRequest): Promise<Response<string>> {
    const startedMs = this.clock.monotonicMs();
    try {
      return await this.exchange(request);
    } finally {
      this.options.onExchange?.((this.clock.monotonicMs() - startedMs) / 1000);
    }
  }

  private async exchange(request: RadarRequest): Promise<Response<string>> {
    const { settings } = this.options;
    let tooLarge = false;
    try {
      const pending = got(`${settings.baseUrl}${requestPath(request)}?${queryString(request)}`, {
        headers: { ...authHeaders(settings.auth), accept: 'application/json' },
        timeout: { request: settings.timeoutMs },
        retry: { limit: 0 },
        throwHttpErrors: false,
        responseType: 'text',
        ...(this.options.signal ? { signal: this.options.signal } : {}),
      });
      // Enforced while reading (and from content-length before), so memory stays bounded whatever Radar sends.
      // (`on` hands back the same pending request, awaited below.)
      void pending.on('downloadProgress', ({ transferred, total }) => {
        if (tooLarge || Math.max(transferred, total ?? 0) <= settings.maxResponseBytes) return;
        tooLarge = true;
        pending.cancel();
      });
      const answer = await pending;
      // Radar's own count of the user's quota, which other clients spend too: the limiter follows it.
      this.options.limiter.observeQuota(parseRatelimitHeader(answer.headers.ratelimit));
      return answer;
    } catch (error) {
      if (this.options.signal?.aborted) throw new CancelledError('Radar request cancelled by shutdown');
      if (tooLarge)
        throw new RadarApiError(
          `Radar's answer is larger than radar.maxResponseBytes (${settings.maxResponseBytes} bytes); if such an answer is expected (a very large limitPerGroup), raise radar.maxResponseBytes in jobs.yaml`,
          { outcome: 'fatal' },
        );
      throw this.networkError(error);
    }
  }

  private interpret(answer: Response<string>, request: RadarRequest): RadarResponse {
    const status = answer.statusCode;
    let body: unknown;
    try {
      body = JSON.parse(answer.body);
    } catch {
      if (status >= 200 && status < 300)
        throw new RadarResponseError(
          `body is not JSON (${answer.body.length} bytes, starting ${JSON.stringify(answer.body.slice(0, 60))})`,
        );
      body = undefined;
    }
    const success = isRecord(body) && body.success === true;
    if (status >= 200 && status < 300 && success) {
      const result = (body as Record<string, unknown>).result;
      // Before the answer becomes groups and points: its size in bytes is bounded, its shape is here.
      const shape = answerShape(result, request);
      if (shape) throw new RadarApiError(shape, { outcome: 'fatal' });
      return parseRadarResult(result, expectedSeriesKeys(request));
    }
    const { apiCode, apiMessage } = firstApiError(body);
    const outcome = classifyRadarAnswer({
      kind: 'http',
      status,
      ...(apiCode !== undefined ? { apiCode } : {}),
    });
    const retryAfterMs = parseRetryAfterMs(answer.headers['retry-after']);
    const what =
      apiMessage ??
      (isRecord(body) ? 'success is not true' : `non-JSON body ${JSON.stringify(answer.body.slice(0, 80))}`);
    const credentials = status === 401 || status === 403;
    const tooLarge = !credentials && windowRefused(status, apiCode, what, request);
    const hint = credentials
      ? `: ${credentialsHint(this.options.settings.auth)}`
      : tooLarge
        ? `: ${windowHint(request)}`
        : '';
    const message = redact(
      `Radar answered HTTP ${status}${apiCode !== undefined ? ` (code ${apiCode})` : ''}: ${what}${hint}`,
      secretsOf(this.options.settings.auth),
    );
    const error = new RadarApiError(message, {
      status,
      outcome,
      ...(apiCode !== undefined ? { apiCode } : {}),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      ...(tooLarge ? { windowRefused: true } : {}),
    });
    if (credentials) this.credentialsRefused ??= error;
    throw error;
  }

  private networkError(error: unknown): RadarApiError {
    const { answer, detail } = describeTransportError(error, this.options.settings.timeoutMs);
    return new RadarApiError(
      redact(`Radar could not be reached: ${detail}`, secretsOf(this.options.settings.auth)),
      {
        outcome: classifyRadarAnswer(answer),
        cause: error,
      },
    );
  }
}
