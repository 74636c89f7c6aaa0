import { RequestError, TimeoutError } from 'got';
import type { Answer } from './classify.js';

/**
 * What a got error means for the classifier, and a short text for people: the same for Radar and
 * InfluxDB. Only the error's code and message are used: got's error also holds the request
 * options, headers included, which must not reach a log.
 */
export function describeTransportError(
  error: unknown,
  timeoutMs: number,
): { answer: Answer; detail: string } {
  if (error instanceof TimeoutError)
    return { answer: { kind: 'timeout' }, detail: `no answer within ${timeoutMs} ms` };
  const code = error instanceof RequestError ? error.code : undefined;
  return {
    answer: { kind: 'network', ...(code !== undefined ? { code } : {}) },
    detail: `${code ?? 'error'}: ${(error as Error).message}`,
  };
}
