import { RequestError, TimeoutError } from 'got';
import type { Answer } from './classify.js';

/** No complete answer within the time allowed. */
export class PostTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'PostTimeoutError';
  }
}

/**
 * What a transport error (got's, or node's own client's) means for the classifier, and a short text
 * for people: the same for Radar and InfluxDB. Only the error's code and message are used: got's
 * error also holds the request options, headers included, which must not reach a log.
 */
export function describeTransportError(
  error: unknown,
  timeoutMs: number,
): { answer: Answer; detail: string } {
  if (error instanceof TimeoutError || error instanceof PostTimeoutError) {
    return { answer: { kind: 'timeout' }, detail: `no answer within ${timeoutMs} ms` };
  }
  const code =
    error instanceof RequestError ? error.code : (error as NodeJS.ErrnoException | undefined)?.code;
  return {
    answer: { kind: 'network', ...(code !== undefined ? { code } : {}) },
    detail: `${code ?? 'error'}: ${(error as Error).message}`,
  };
}
