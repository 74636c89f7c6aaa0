import { describe, expect, test } from '@jest/globals';
import { classifyInfluxAnswer, classifyRadarAnswer } from '../../../src/failures/classify.js';

describe('classifyRadarAnswer', () => {
  test('retry: network errors and timeouts', () => {
    expect(classifyRadarAnswer({ kind: 'network', code: 'ECONNRESET' })).toBe('retry');
    expect(classifyRadarAnswer({ kind: 'timeout' })).toBe('retry');
  });
  test('retry: 408 and every 5xx', () => {
    for (const status of [408, 500, 502, 503, 504])
      expect(classifyRadarAnswer({ kind: 'http', status })).toBe('retry');
  });
  test('retry: success:false in a 200 with an internal-error code or none', () => {
    expect(classifyRadarAnswer({ kind: 'http', status: 200, apiCode: 2000 })).toBe('retry');
    expect(classifyRadarAnswer({ kind: 'http', status: 200 })).toBe('retry');
  });
  test('throttle: 429, and the rate-limit code in a 200', () => {
    expect(classifyRadarAnswer({ kind: 'http', status: 429 })).toBe('throttle');
    expect(classifyRadarAnswer({ kind: 'http', status: 200, apiCode: 1015 })).toBe('throttle');
  });
  test('fatal: 400, 401, 403, 404, 422, and a validation code in a 200', () => {
    for (const status of [400, 401, 403, 404, 422])
      expect(classifyRadarAnswer({ kind: 'http', status })).toBe('fatal');
    expect(classifyRadarAnswer({ kind: 'http', status: 200, apiCode: 2001 })).toBe('fatal');
  });
});

describe('classifyInfluxAnswer', () => {
  test('retry: unreachable, timeout, 5xx', () => {
    expect(classifyInfluxAnswer({ kind: 'network', code: 'ECONNREFUSED' })).toBe('retry');
    expect(classifyInfluxAnswer({ kind: 'timeout' })).toBe('retry');
    expect(classifyInfluxAnswer({ kind: 'http', status: 503 })).toBe('retry');
  });
  test('throttle: 429', () => {
    expect(classifyInfluxAnswer({ kind: 'http', status: 429 })).toBe('throttle');
  });
  test('drop: 400 (type conflict, bad line), 422', () => {
    for (const status of [400, 422]) expect(classifyInfluxAnswer({ kind: 'http', status })).toBe('drop');
  });
  test('split: 413 (the body is too large: send it in halves)', () => {
    expect(classifyInfluxAnswer({ kind: 'http', status: 413 })).toBe('split');
  });
  test("drop: an answer node's HTTP parser cannot read (influxd echoing a refused line into a header)", () => {
    expect(classifyInfluxAnswer({ kind: 'network', code: 'HPE_INVALID_HEADER_TOKEN' })).toBe('drop');
    expect(classifyInfluxAnswer({ kind: 'network', code: 'ECONNRESET' })).toBe('retry');
  });
  test('fatal: 401, 403, 404 (no such database)', () => {
    for (const status of [401, 403, 404])
      expect(classifyInfluxAnswer({ kind: 'http', status })).toBe('fatal');
  });
});
