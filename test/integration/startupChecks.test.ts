import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { runCli, startCli, waitFor } from '../harness/cli.js';
import { freePort } from '../harness/influxd.js';
import { useStack } from '../harness/stack.js';

const CONFIG = `
radar: { retryDelayMs: 20 }
jobs:
  - name: check
    schedule: "*/2 * * * * *"
    dimensions: [LOCATION, PRODUCT]
    intervals: [1h, 1d]
    lookback: 2d
`;

describe('the truth at once: settings checked before the first request', () => {
  const stack = useStack('startup', { fixedHorizon: true });
  const { sim } = stack;
  /** Something that answers /ping like InfluxDB 2.7. */
  const v2 = http.createServer((_, res) => res.writeHead(204, { 'x-influxdb-version': 'v2.7.4' }).end());
  let v2Url = '';

  beforeAll(async () => {
    await new Promise<void>((resolve) => v2.listen(0, '127.0.0.1', resolve));
    v2Url = `http://127.0.0.1:${(v2.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => v2.close(() => resolve())));

  const lines = (text: string) =>
    text
      .trim()
      .split('\n')
      .filter((l) => l !== '');

  test('InfluxDB 3 Core (a stand-in answering /ping as influxdb3_server/src/http.rs does: 401 without a valid token): the token goes on /ping, a refused or missing one is said at once (exit 2), a good one writes', async () => {
    const token = 'apiv3_good-token';
    const written: string[] = [];
    const core = http.createServer((req, res) => {
      const authorized = [`Token ${token}`, `Bearer ${token}`].includes(req.headers.authorization ?? '');
      if (!authorized)
        return res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
      if (req.url === '/ping')
        return res
          .writeHead(200, { 'x-influxdb-version': '3.6.0', 'content-type': 'application/json' })
          .end('{"version":"3.6.0","revision":"x"}');
      if (req.url?.startsWith('/api/v2/write')) {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          written.push(...body.split('\n').filter(Boolean));
          res.writeHead(204).end();
        });
        return undefined;
      }
      return res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => core.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(core.address() as AddressInfo).port}`;
      const configFile = stack.writeConfig(CONFIG);
      const base = { INFLUX_URL: url, INFLUX_BUCKET: 'radar', INFLUX_DATABASE: '' };
      const missing = await runCli(
        ['once', '--config', configFile],
        stack.env({ ...base, INFLUX_TOKEN: '' }),
      );
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(
        /wants a token even on \/ping \(HTTP 401\), as InfluxDB 3 Core does: set INFLUX_TOKEN/,
      );
      const refused = await runCli(
        ['once', '--config', configFile],
        stack.env({ ...base, INFLUX_TOKEN: 'apiv3_wrong' }),
      );
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/refused INFLUX_TOKEN on \/ping \(HTTP 401\): check INFLUX_TOKEN/);
      expect(refused.stderr).not.toContain('apiv3_wrong');
      expect(written).toEqual([]);
      const good = await runCli(
        ['once', '--config', configFile],
        stack.env({ ...base, INFLUX_TOKEN: token }),
      );
      expect([good.code, good.stderr]).toEqual([0, expect.stringContaining('0 failed')]);
      expect(written.filter((l) => l.startsWith('radar_netflows,')).length).toBeGreaterThan(0);
    } finally {
      await new Promise<void>((resolve) => core.close(() => resolve()));
    }
  });

  test('an INFLUX_URL that does not answer like InfluxDB is a setting to fix, said at once: a web server, https at an http port', async () => {
    const configFile = stack.writeConfig(CONFIG);
    const web = http.createServer((_, res) =>
      res.writeHead(404, { 'content-type': 'text/html' }).end('<html>'),
    );
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    try {
      const webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
      for (const command of [['once'], ['run']]) {
        const result = await runCli([...command, '--config', configFile], stack.env({ INFLUX_URL: webUrl }));
        expect(result.code).toBe(2);
        expect(result.stderr).toMatch(
          /InfluxDB at http:\/\/127\.0\.0\.1:\d+ answered \/ping with HTTP 404 and no X-Influxdb-Version header: it does not answer like InfluxDB; check INFLUX_URL/,
        );
      }
      const tls = await runCli(
        ['once', '--config', configFile],
        stack.env({ INFLUX_URL: stack.influx.url.replace('http:', 'https:') }),
      );
      expect(tls.code).toBe(2);
      expect(tls.stderr).toMatch(
        /does not speak TLS \(EPROTO\): if it serves plain HTTP, write INFLUX_URL with http:\/\//,
      );
      expect(tls.stderr).not.toMatch(/ssl3_get_record|SSL routines|wrong version number/);
      expect(sim.served).toHaveLength(0);
    } finally {
      await new Promise<void>((resolve) => web.close(() => resolve()));
    }
  });

  test('run with InfluxDB 2.x refusing the token: /readyz says so, and run stops within its first run (exit 2)', async () => {
    const refusing = http.createServer((req, res) => {
      if (req.url?.startsWith('/ping'))
        return void res.writeHead(204, { 'x-influxdb-version': 'v2.7.4' }).end();
      req.resume();
      req.on('end', () =>
        res
          .writeHead(401, { 'content-type': 'application/json' })
          .end('{"code":"unauthorized","message":"unauthorized access"}'),
      );
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    try {
      // PRODUCT's requests fail and are retried for about 2 s: the run goes on while /readyz is read.
      sim.refuseDimensions.add('PRODUCT');
      const port = await freePort();
      const daemon = startCli(
        [
          'run',
          '--config',
          stack.writeConfig(CONFIG.replace('retryDelayMs: 20', 'retryDelayMs: 300, retries: 3')),
        ],
        stack.env({
          INFLUX_URL: `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`,
          INFLUX_TOKEN: 'wrong-token-456',
          INFLUX_BUCKET: 'radar',
          INFLUX_ORG: 'acme',
          HTTP_LISTEN: `127.0.0.1:${port}`,
        }),
      );
      let refusal = '';
      await waitFor('/readyz naming the refusal', async () => {
        const ready = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
        const checks = ready ? ((await ready.json()) as { checks: { influx?: string } }).checks : {};
        refusal = checks.influx ?? '';
        return refusal.startsWith('refused');
      });
      expect(refusal).toMatch(
        /^refused: InfluxDB write of \d+ points refused: HTTP 401: unauthorized access: check INFLUX_TOKEN/,
      );
      const result = await daemon.exited;
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        /error: InfluxDB write of \d+ points refused: HTTP 401: unauthorized access: check INFLUX_TOKEN/,
      );
      expect(result.stderr).not.toContain('wrong-token-456');
      // One scheduled run: each LOCATION query's window once, no second run.
      expect(sim.served.filter((served) => served.dimension === 'LOCATION').length).toBe(2);
    } finally {
      await new Promise<void>((resolve) => refusing.close(() => resolve()));
    }
  });

  test('secrets of digits written as ${VAR} stay the exact strings they are, and are never printed', async () => {
    const token = '12345678901234567890'; // a float would make it 12345678901234567000
    const password = '90817263';
    sim.token = token;
    try {
      const configFile = stack.writeConfig(
        CONFIG.replace(
          'radar: { retryDelayMs: 20 }',
          'radar:\n  retryDelayMs: 20\n  token: ${RADAR_TOKEN}\ninflux:\n  password: ${INFLUX_PASSWORD}',
        ),
        'digits.yaml',
      );
      const env = stack.env({ CLOUDFLARE_API_TOKEN: '', RADAR_TOKEN: token, INFLUX_PASSWORD: password });
      const validate = await runCli(['validate', '--config', configFile], env);
      expect(validate.code).toBe(0);
      const once = await runCli(['once', '--config', configFile], { ...env, LOG_LEVEL: 'debug' });
      expect(once.code).toBe(0);
      for (const text of [validate.stdout, validate.stderr, once.stdout, once.stderr]) {
        expect(text).not.toContain(token);
        expect(text).not.toContain(password);
      }
      // A secret of the wrong type is named, its value not shown.
      const typed = stack.writeConfig(
        'influx: { token: 987654321987 }\njobs: [{ name: j, dimensions: [AS], intervals: [1h] }]\n',
        'typed.yaml',
      );
      const refused = await runCli(['validate', '--config', typed], {});
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(
        /influx\.token: expected a string, got a number \(value not shown: a secret\)/,
      );
      expect(refused.stderr).not.toContain('987654321987');
    } finally {
      sim.token = 'sim-token-0123456789';
    }
  });

  test('a wrong Radar token: once exits 2 with one line naming CLOUDFLARE_API_TOKEN, sending no more requests', async () => {
    const configFile = stack.writeConfig(CONFIG);
    const result = await runCli(
      ['once', '--config', configFile],
      stack.env({ CLOUDFLARE_API_TOKEN: 'wrong-token-123', LOG_LEVEL: 'warn' }),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/HTTP 401.*check CLOUDFLARE_API_TOKEN/);
    expect(lines(result.stderr).length).toBeLessThanOrEqual(3);
    expect(sim.served.length).toBeLessThanOrEqual(4);
    expect(result.stderr).not.toContain('wrong-token-123');
  });

  test('a wrong Radar token under run: the service stops by itself with exit 2', async () => {
    const configFile = stack.writeConfig(CONFIG);
    const daemon = startCli(
      ['run', '--config', configFile],
      stack.env({ CLOUDFLARE_API_TOKEN: 'wrong-token-123' }),
    );
    const result = await daemon.exited;
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/check CLOUDFLARE_API_TOKEN/);
  });

  test.each([
    [
      'INFLUX_URL without a scheme',
      { INFLUX_URL: 'localhost:8086' },
      /INFLUX_URL "localhost:8086" is not an http\(s\) URL/,
    ],
    [
      'RADAR_API_URL without a scheme',
      { RADAR_API_URL: 'api.example.test/client/v4' },
      /RADAR_API_URL .* is not an http\(s\) URL/,
    ],
    [
      'a bad LOG_LEVEL',
      { LOG_LEVEL: 'verbose' },
      /LOG_LEVEL "verbose" is not one of error, warn, info, debug/,
    ],
    ['a bad LOG_FORMAT', { LOG_FORMAT: 'yaml' }, /LOG_FORMAT "yaml" is not one of json, text/],
    [
      'HTTP_LISTEN with a port and no host',
      { HTTP_LISTEN: '9464' },
      /HTTP_LISTEN \/ service.listen "9464" is not host:port or off \(to listen on port 9464 of this host only: 127\.0\.0\.1:9464\)/,
    ],
  ])('%s: exit 2 before any request', async (_, env, message) => {
    const configFile = stack.writeConfig(CONFIG);
    for (const command of ['once', 'run']) {
      const result = await runCli([command, '--config', configFile], stack.env(env));
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    expect(sim.served).toHaveLength(0);
  });

  test('InfluxDB 2.x without INFLUX_BUCKET and INFLUX_TOKEN: exit 2 before any request, from /ping or from the config', async () => {
    const configFile = stack.writeConfig(CONFIG);
    const detected = await runCli(['once', '--config', configFile], stack.env({ INFLUX_URL: v2Url }));
    expect(detected.code).toBe(2);
    expect(detected.stderr).toMatch(/is v2\.7\.4: set INFLUX_BUCKET and INFLUX_TOKEN \(and INFLUX_ORG\)/);
    const declared = stack.writeConfig(`influx: { apiVersion: 2 }\n${CONFIG}`, 'declared.yaml');
    const configured = await runCli(['backfill', '--from', '3d', '--config', declared], stack.env());
    expect(configured.code).toBe(2);
    expect(configured.stderr).toMatch(/influx.apiVersion 2 needs INFLUX_BUCKET and INFLUX_TOKEN/);
    expect(sim.served).toHaveLength(0);
  });

  test('run warns at start when the schedules need more requests than the rate limit', async () => {
    const configFile = stack.writeConfig(
      CONFIG.replace('retryDelayMs: 20', 'retryDelayMs: 20, rateLimit: 5'),
    );
    const daemon = startCli(['run', '--config', configFile], stack.env());
    await waitFor('the warning', () => daemon.output().stderr.includes('the schedules need more requests'));
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  });

  test('SIGHUP then SIGTERM while run starts (its InfluxDB check waiting for an answer): the reload is a no-op, the stop an exit 0 once the check ends, the lock released, nothing fetched', async () => {
    let pinged!: () => void;
    const pingArrived = new Promise<void>((resolve) => (pinged = resolve));
    const silent = http.createServer(() => pinged()); // takes /ping and never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const configFile = stack.writeConfig(`influx: { timeoutMs: 1000 }\n${CONFIG}`);
      const daemon = startCli(['run', '--config', configFile], stack.env({ INFLUX_URL: url }));
      await pingArrived;
      daemon.child.kill('SIGHUP');
      await waitFor('the reload refused', () =>
        daemon.output().stderr.includes('SIGHUP while starting: jobs.yaml was read just now'),
      );
      daemon.child.kill('SIGTERM');
      const { code, stderr } = await daemon.exited;
      expect({ code, signal: daemon.child.signalCode }).toEqual({ code: 0, signal: null });
      expect(stderr).toMatch(/SIGTERM: stopping before the schedules start/);
      expect(stderr).toMatch(/stopped/);
      expect(existsSync(join(stack.stateDir, 'lock'))).toBe(false);
      expect(sim.served).toHaveLength(0);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  test('why InfluxDB cannot take writes is said: a closed port, an unknown host', async () => {
    // A short timeout: once waits three of them for the spool to drain, not 30 s.
    const configFile = stack.writeConfig(`influx: { timeoutMs: 1000 }\n${CONFIG}`);
    const port = await freePort();
    // A first run: nothing listening is a setting to fix, said at once, before any request to Radar.
    const first = await runCli(
      ['once', '--config', configFile],
      stack.env({ INFLUX_URL: `http://127.0.0.1:${port}` }),
    );
    expect(first.code).toBe(2);
    expect(first.stderr).toMatch(
      /ECONNREFUSED: nothing listens there\): if InfluxDB should be up, check INFLUX_URL/,
    );
    const unknown = await runCli(
      ['once', '--config', configFile],
      stack.env({ INFLUX_URL: 'http://no-such-host.invalid:8086' }),
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/ENOTFOUND: no such host\): if InfluxDB should be up, check INFLUX_URL/);
    expect(sim.served).toHaveLength(0);
    // A state directory that has written before: an outage, waited out in the spool.
    stack.seedState();
    const closed = await runCli(
      ['once', '--config', configFile],
      stack.env({ INFLUX_URL: `http://127.0.0.1:${port}` }),
    );
    expect(closed.code).toBe(3);
    expect(closed.stderr).toMatch(/ECONNREFUSED.*check INFLUX_URL; points will wait in the spool/);
    expect(closed.stderr).toMatch(/kept in the spool/);
    expect(closed.stderr).not.toMatch(/points written/);
  });
});
