import { beforeEach, describe, expect, test } from '@jest/globals';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT, runCli, startCli, waitFor } from '../harness/cli.js';
import { execFile } from 'node:child_process';
import { freePort } from '../harness/influxd.js';
import { useStack } from '../harness/stack.js';

describe('run: the scheduled service', () => {
  const stack = useStack('daemon', { fixedHorizon: true });
  const { sim } = stack;
  let port = 0;
  const env = () => stack.env({ HTTP_LISTEN: `127.0.0.1:${port}` });
  const config = (text: string): string => stack.writeConfig(text, `jobs${stack.case}.yaml`);

  beforeEach(async () => {
    port = await freePort();
  });

  test('the container health check asks /healthz where HTTP_LISTEN says the service listens', async () => {
    const file = config(
      'jobs:\n  - { name: h, schedule: "0 0 1 1 *", dimensions: [PRODUCT], intervals: [1h] }\n',
    );
    const daemon = startCli(['run', '--config', file], stack.env({ HTTP_LISTEN: `0.0.0.0:${port}` }));
    try {
      await waitFor('/healthz', () =>
        fetch(`http://127.0.0.1:${port}/healthz`).then(
          (r) => r.ok,
          () => false,
        ),
      );
      const check = async (listen: string) =>
        (await runNode(['dist/cli/healthcheck.js'], { HTTP_LISTEN: listen })).code;
      expect(await check(`0.0.0.0:${port}`)).toBe(0); // a wildcard address is asked on loopback
      expect(await check(`127.0.0.1:${port}`)).toBe(0);
      expect(await check(`127.0.0.1:${await freePort()}`)).toBe(1); // nothing listens there
      expect(await check('off')).toBe(0); // nothing to ask
    } finally {
      daemon.child.kill('SIGTERM');
      await daemon.exited;
    }
  });

  test('runs every few seconds, serves health and metrics, exits 0 on SIGTERM and loses nothing', async () => {
    const file = config(`
radar: { retryDelayMs: 20 }
service: { graceMs: 5000 }
jobs:
  - name: fast
    schedule: "*/2 * * * * *"
    dimensions: [LOCATION, PRODUCT]
    intervals: [1h]
    lookback: 2d
`);
    const daemon = startCli(['run', '--config', file], env());
    await waitFor('three runs', () => sim.served.length >= 6);
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      ready: true,
      checks: { influx: expect.stringMatching(/^ok/), lastSuccess: 'ok' },
    });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/radar_netflows_requests_total\{outcome="ok"\} [1-9]/);
    expect(metrics).toMatch(/radar_netflows_points_written_total [1-9]/);
    // The latency of both sides, as Prometheus users graph it first: Radar's seconds, InfluxDB's ms.
    expect(metrics).toMatch(/radar_netflows_radar_request_duration_seconds_count [1-9]/);
    expect(metrics).toMatch(/radar_netflows_radar_request_duration_seconds_bucket\{le="30"\} [1-9]/);
    expect(metrics).toMatch(/radar_netflows_influx_write_duration_seconds_count [1-9]/);
    expect(metrics).toMatch(/radar_netflows_influx_write_duration_seconds_bucket\{le="0.001"\} \d/);
    expect(metrics).toMatch(/radar_netflows_last_success_timestamp_seconds\{query="fast\/LOCATION\/1h"\} \d/);
    expect((await fetch(`${base}/other`)).status).toBe(404);
    // Grafana's notifications, when no webhook is set: logged, one line per alert.
    const notification = {
      receiver: 'radar-netflows',
      status: 'firing',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'Share drop (15m data)', group_key: 'DE', __alert_rule_uid__: 'x' },
          annotations: { summary: 'DE (LOCATION, job fast): share dropped' },
        },
        { status: 'resolved', labels: { alertname: 'New dead letters' }, annotations: {} },
      ],
    };
    const posted = await fetch(`${base}/alerts`, { method: 'POST', body: JSON.stringify(notification) });
    expect(posted.status).toBe(204);
    const bad = await fetch(`${base}/alerts`, { method: 'POST', body: 'not json' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/not JSON: expected a Grafana webhook notification/);
    // Four floods of 349,518 empty alerts at once: bounded lines, memory and time to answer.
    const flood = `{"alerts":[${Array.from({ length: 349_518 }, () => '{}').join(',')}]}`;
    const rss = async () =>
      Number(
        /^process_resident_memory_bytes (\d+)/m.exec(await (await fetch(`${base}/metrics`)).text())?.[1],
      );
    const rssBefore = await rss();
    const floods = await Promise.all(
      [1, 2, 3, 4].map(() => fetch(`${base}/alerts`, { method: 'POST', body: flood }).then((r) => r.status)),
    );
    expect(floods.filter((status) => status === 204).length).toBeGreaterThanOrEqual(1);
    expect(floods.every((status) => status === 204 || status === 429)).toBe(true);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await rss()) - rssBefore).toBeLessThan(150e6);

    const stoppedAt = Date.now();
    daemon.child.kill('SIGTERM');
    const result = await daemon.exited;
    expect(result.code).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
    expect(result.stderr).toMatch(/"message":"stopped"/);
    const alertLines = result.stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => String(line.message).startsWith('alert ') && line.message !== 'alert firing: alert');
    const floodLines = result.stderr.split('\n').filter((line) => line.includes('alert firing: alert"'));
    expect(floodLines.length).toBeLessThanOrEqual(200); // MAX_ALERT_LINES_PER_MINUTE
    expect(result.stderr).toMatch(/349468 more alerts in this notification are not logged one by one/);
    expect(alertLines.map(({ level, message, alert }) => ({ level, message, alert }))).toEqual([
      {
        level: 'warn',
        message: 'alert firing: DE (LOCATION, job fast): share dropped',
        alert: { alertname: 'Share drop (15m data)', group_key: 'DE' },
      },
      {
        level: 'info',
        message: 'alert resolved: New dead letters',
        alert: { alertname: 'New dead letters' },
      },
    ]);
    expect(result.stderr).toMatch(
      /"message":"job fast ran: 2 queries, 0 failed; \d+ windows, \d+ points, \d+ ms"/,
    );
    for (const line of result.stderr.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    await stack.expectMatchesServed(() => 'fast');

    // The next start carries on from the saved checkpoints: the closed windows are not asked again.
    const before = sim.served.length;
    expect((await runCli(['once', '--config', file], env())).code).toBe(0);
    expect(sim.served.length - before).toBe(2);
  });

  test('no 5-minute span sees more than radar.rateLimit requests, even with many jobs due at once', async () => {
    const jobs = [1, 2, 3, 4]
      .map((i) => `  - { name: j${i}, dimensions: [LOCATION, AS, ADM1], intervals: [1h], lookback: 1d }`)
      .join('\n');
    const file = config(
      `radar: { rateLimit: 5, retryDelayMs: 20 }\nservice: { graceMs: 500 }\njobs:\n${jobs}\n`,
    );
    const daemon = startCli(['run', '--config', file], env());
    await waitFor('the first requests', () => sim.served.length >= 5);
    await new Promise((r) => setTimeout(r, 2000));
    expect(sim.served.length).toBe(5);
    const planned = await runCli(['plan', '--config', file], env());
    expect(planned.stdout).toMatch(/up to 12 due at once/);
    daemon.child.kill('SIGTERM');
    const result = await daemon.exited;
    expect(result.code).toBe(0);
    expect(sim.served.length).toBe(5);
  });

  test('a run still going when its next tick comes skips that tick and counts it', async () => {
    const file = config(
      `radar: { retryDelayMs: 20 }\nservice: { graceMs: 10000 }\njobs:\n  - { name: slow, schedule: "* * * * * *", dimensions: [AS], intervals: [1h], lookback: 1d }\n`,
    );
    sim.responseDelayMs = 2500;
    const daemon = startCli(['run', '--config', file], env());
    await waitFor('a skipped tick', () => daemon.output().stderr.includes('tick skipped'));
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/radar_netflows_skipped_ticks_total\{job="slow"\} [1-9]/);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  });

  test('a health port already in use is a clear error with exit code 2', async () => {
    const file = config(`jobs:\n  - { name: x, dimensions: [AS], intervals: [1h] }\n`);
    const squatter = createServer().listen(port, '127.0.0.1');
    await once(squatter, 'listening');
    const result = await runCli(['run', '--config', file], env());
    squatter.close();
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `error: cannot serve /healthz and /metrics on 127.0.0.1:${port} (EADDRINUSE): set HTTP_LISTEN`,
    );
    expect(sim.served.length).toBe(0);
  });

  test('an unusable state directory is a clear error with exit code 2, not a crash loop', async () => {
    const file = config(`jobs:\n  - { name: x, dimensions: [AS], intervals: [1h] }\n`);
    const blocker = join(stack.dir, 'a-file');
    writeFileSync(blocker, '');
    const result = await runCli(['run', '--config', file], { ...env(), STATE_DIR: join(blocker, 'state') });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /the state directory .*a-file\/state cannot be used: ENOTDIR \(a part of the path is a file, not a directory\): set STATE_DIR to a writable directory/,
    );
    expect(sim.served.length).toBe(0);
  });
});

/** A node script of the package, run as the image runs it (from the package's root). */
function runNode(args: string[], env: Record<string, string>): Promise<{ code: number | null }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } }, (error) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0 }),
    );
  });
}
