import { afterEach, describe, expect, test } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../../../src/log.js';
import type { RadarSettings } from '../../../src/model/settings.js';
import { RadarClient } from '../../../src/radar/client.js';
import { RateLimiter } from '../../../src/radar/limiter.js';
import type { RadarRequest } from '../../../src/radar/request.js';

const REQUEST: RadarRequest = {
  dimension: 'PRODUCT',
  aggInterval: '1h',
  series: [{ dateStart: '2026-08-14T00:00:00Z', dateEnd: '2026-08-14T02:00:00Z' }],
};
const GOOD = JSON.stringify({
  success: true,
  errors: [],
  result: {
    meta: { lastUpdated: '2026-08-14T03:00:00Z' },
    serie_0: { timestamps: ['2026-08-14T00:00:00Z', '2026-08-14T01:00:00Z'], HTTP: ['1', '2'] },
  },
});

/** A loopback Radar answering from a script: each request takes the next answer (the last repeats). */
async function scriptedRadar(answers: { status: number; body: string; headers?: Record<string, string> }[]) {
  const seen: number[] = [];
  const server = http.createServer((_, res) => {
    seen.push(Date.now());
    const answer = answers[Math.min(seen.length - 1, answers.length - 1)]!;
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}
const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

function client(baseUrl: string, limiter = new RateLimiter(100, 4)) {
  const settings: RadarSettings = {
    baseUrl,
    auth: { kind: 'token', token: 'secret-token-123' },
    timeoutMs: 2000,
    retries: 3,
    retryDelayMs: 10,
    throttlePauseMs: 60_000,
    rateLimitPer5Min: 100,
    concurrency: 4,
    maxResponseBytes: 1 << 20,
  };
  return { radar: new RadarClient({ settings, limiter, logger: createLogger({ silent: true }) }), limiter };
}

describe('RadarClient', () => {
  test('retries a passing fault, then answers with the attempts it took', async () => {
    const radar = await scriptedRadar([
      { status: 502, body: 'bad gateway' },
      { status: 200, body: GOOD },
    ]);
    const result = await client(radar.url).radar.fetch(REQUEST);
    expect(result.attempts).toBe(2);
    expect(result.response.series[0]!.timestampsMs).toHaveLength(2);
  });

  test('a 400 refusing the range names windows: as the fix, with a smaller window; not retried', async () => {
    const radar = await scriptedRadar([
      {
        status: 400,
        body: '{"success":false,"errors":[{"code":2001,"message":"Date range too long for aggInterval 15m"}],"result":{}}',
      },
    ]);
    const wide: RadarRequest = {
      dimension: 'AS',
      aggInterval: '15m',
      series: [{ dateStart: '2026-08-01T00:00:00Z', dateEnd: '2026-08-15T00:00:00Z' }],
    };
    const error = (await client(radar.url)
      .radar.fetch(wide)
      .catch((e: unknown) => e)) as Error;
    expect(error.message).toContain('Date range too long');
    expect(error.message).toContain('(this request spans 2w)');
    expect(error.message).toContain('`windows: { 15m: 7d }`');
    expect(radar.seen).toHaveLength(1);
    // Other refusals do not get the hint.
    const other = await scriptedRadar([
      { status: 400, body: '{"success":false,"errors":[{"code":2001,"message":"Invalid location codes"}]}' },
    ]);
    const plain = (await client(other.url)
      .radar.fetch(wide)
      .catch((e: unknown) => e)) as Error;
    expect(plain.message).not.toContain('windows:');
  });

  test('a 429 pauses every request until retry-after, not only its own', async () => {
    const radar = await scriptedRadar([
      {
        status: 429,
        body: '{"success":false,"errors":[{"code":1015,"message":"slow down"}]}',
        headers: { 'retry-after': '1' },
      },
      { status: 200, body: GOOD },
    ]);
    const { radar: c, limiter } = client(radar.url);
    const first = c.fetch(REQUEST);
    // Once the 429 is in, the whole limiter pauses (for up to retry-after's 1 s).
    while (limiter.pausedMs === 0 && radar.seen.length < 2) await new Promise((r) => setTimeout(r, 5));
    expect(limiter.pausedMs).toBeGreaterThan(0);
    expect(limiter.pausedMs).toBeLessThanOrEqual(1000);
    const second = c.fetch(REQUEST);
    await Promise.all([first, second]);
    // Nothing at all was sent during the pause.
    expect(radar.seen[1]! - radar.seen[0]!).toBeGreaterThanOrEqual(950);
  });

  test('refused credentials: told once, no later request is sent, each refusal its own error', async () => {
    const radar = await scriptedRadar([
      { status: 401, body: '{"success":false,"errors":[{"code":1000,"message":"Invalid API Token"}]}' },
    ]);
    const { radar: c } = client(radar.url);
    const refusal = (): Promise<Error> =>
      c.fetch(REQUEST).then(
        () => new Error('expected a refusal'),
        (e: Error) => e,
      );
    const first = await refusal();
    expect(first.message).toMatch(/HTTP 401 \(code 1000\): Invalid API Token: check CLOUDFLARE_API_TOKEN/);
    expect(first.message).not.toContain('secret-token-123');
    const second = await refusal();
    expect(second).not.toBe(first);
    expect(second.message).toBe(first.message);
    expect(radar.seen).toHaveLength(1);
    expect(c.refusedCredentials).toBe(first);
  });
});
