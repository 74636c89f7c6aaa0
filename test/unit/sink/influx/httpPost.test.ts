import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { describeTransportError } from '../../../../src/failures/transportError.js';
import { PostTimeoutError } from '../../../../src/failures/transportError.js';
import { postText } from '../../../../src/sink/influx/httpPost.js';

describe('postText', () => {
  let delayMs = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () =>
      setTimeout(
        () => res.writeHead(200).end(`${req.url} ${req.headers.authorization ?? '-'} ${body}`),
        delayMs,
      ),
    );
  });
  let base = '';
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  test('posts the body with the headers and returns status and text', async () => {
    delayMs = 0;
    const answer = await postText(new URL(`${base}/write?db=x`), 'm v=1 1\nm v=2 2', {
      headers: { authorization: 'Basic abc' },
      timeoutMs: 1000,
    });
    expect(answer).toEqual({ statusCode: 200, body: '/write?db=x Basic abc m v=1 1\nm v=2 2' });
  });

  test('gives up after the timeout with an error the classifier reads as a timeout', async () => {
    delayMs = 500;
    const error = await postText(new URL(`${base}/write`), 'x', { headers: {}, timeoutMs: 50 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PostTimeoutError);
    expect(describeTransportError(error, 50)).toEqual({
      answer: { kind: 'timeout' },
      detail: 'no answer within 50 ms',
    });
  });

  test('a refused connection is a network error with its code', async () => {
    const error = await postText(new URL('http://127.0.0.1:9/write'), 'x', {
      headers: {},
      timeoutMs: 1000,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(describeTransportError(error, 1000).answer).toEqual({ kind: 'network', code: 'ECONNREFUSED' });
  });

  test('an answer whose header holds raw control bytes (influxd echoing a refused line) is still read', async () => {
    // influxd copies the line it cannot parse into X-Influxdb-Error, bytes and all (httpd/handler.go).
    const raw = net.createServer((socket) => {
      socket.once('data', () => {
        const body = '{"error":"unable to parse \'\u0001garbage\': invalid field format"}';
        socket.end(
          `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nX-Influxdb-Error: unable to parse '\u0001\u0002garbage'\r\n` +
            `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      });
    });
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    try {
      const answer = await postText(
        new URL(`http://127.0.0.1:${(raw.address() as AddressInfo).port}/write`),
        'x',
        {
          headers: {},
          timeoutMs: 1000,
        },
      );
      expect(answer.statusCode).toBe(400);
      expect(answer.body).toContain('unable to parse');
    } finally {
      await new Promise<void>((r) => raw.close(() => r()));
    }
  });
});
