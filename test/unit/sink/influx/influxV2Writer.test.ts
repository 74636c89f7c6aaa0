import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { LineBatch } from '../../../../src/sink/influx/lineBatch.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InfluxSettings } from '../../../../src/model/settings.js';
import { apiFromVersion, v2SettingsOf } from '../../../../src/sink/influx/connect.js';
import { InfluxV2Writer } from '../../../../src/sink/influx/influxV2Writer.js';
import { InfluxWriteError } from '../../../../src/sink/influx/lineWriter.js';

/** A stand-in for InfluxDB 2.x's /api/v2/write that records what it was sent. */
describe('InfluxV2Writer', () => {
  const received: { url: string; auth: string | undefined; body: string }[] = [];
  let answer = { status: 204, body: '' };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ url: req.url ?? '', auth: req.headers.authorization, body });
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
  });
  let settings: InfluxSettings;

  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    settings = {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      apiVersion: '2',
      database: 'unused',
      retentionPolicy: undefined,
      username: undefined,
      password: undefined,
      org: 'acme',
      bucket: 'radar',
      token: 'tok-secret-123',
      batchSize: 2,
      timeoutMs: 2000,
    };
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  test('writes batches to /api/v2/write with org, bucket, ms precision and the token', async () => {
    received.length = 0;
    answer = { status: 204, body: '' };
    const sink = new InfluxV2Writer(v2SettingsOf(settings, 'v2.7.4'), 'v2.7.4');
    await sink.write(LineBatch.of(['m v=1 1', 'm v=2 2', 'm v=3 3']));
    await sink.close();
    expect(received.map((r) => r.body)).toEqual(['m v=1 1\nm v=2 2', 'm v=3 3']);
    const url = new URL(received[0]!.url, 'http://x');
    expect(url.pathname).toBe('/api/v2/write');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      org: 'acme',
      bucket: 'radar',
      precision: 'ms',
    });
    expect(received[0]!.auth).toBe('Token tok-secret-123');
  });

  test('posts the very bytes of the body the encoder made (the 1.x path posts the same)', async () => {
    received.length = 0;
    answer = { status: 204, body: '' };
    const body = Buffer.from('m,k=東京\\ x v=1 1\nm,k=ü v=2 2', 'utf8');
    await new InfluxV2Writer(v2SettingsOf(settings, 'v2.7.4'), 'v2.7.4').write(
      new LineBatch(body, 2, () => []),
    );
    expect(received.map((r) => r.body)).toEqual([body.toString('utf8')]);
  });

  test('a refused write is an InfluxWriteError with the server reason, classified, token-free', async () => {
    answer = {
      status: 422,
      body: JSON.stringify({ code: 'unprocessable entity', message: 'field type conflict tok-secret-123' }),
    };
    const sink = new InfluxV2Writer(v2SettingsOf(settings, 'v2.7.4'), 'v2.7.4');
    const error = await sink.write(LineBatch.of(['m v=1 1'])).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InfluxWriteError);
    expect((error as InfluxWriteError).outcome).toBe('drop');
    expect((error as Error).message).toContain('field type conflict');
    expect((error as Error).message).not.toContain('tok-secret-123');
  });

  test('a 503 is retryable', async () => {
    answer = { status: 503, body: '{"message":"busy"}' };
    const error = await new InfluxV2Writer(v2SettingsOf(settings, 'v2.7.4'), 'v2.7.4')
      .write(LineBatch.of(['m v=1 1']))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((error as InfluxWriteError).outcome).toBe('retry');
  });

  test('a bucket and a token are required', () => {
    expect(() => v2SettingsOf({ ...settings, token: undefined }, 'v2.7.4')).toThrow(
      /needs INFLUX_BUCKET and INFLUX_TOKEN/,
    );
  });
});

describe('apiFromVersion', () => {
  test('reads the major version /ping reports', () => {
    expect(apiFromVersion('1.6.7~rc0')).toBe('1');
    expect(apiFromVersion('v2.7.4')).toBe('2');
    expect(apiFromVersion('3.0.1')).toBe('3');
  });
});
