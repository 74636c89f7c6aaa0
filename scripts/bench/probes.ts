/** Measurements that are not a run of the service: /healthz while it spools, InfluxDB's own ceiling. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startCli } from '../../test/harness/cli.js';
import { freePort } from '../../test/harness/influxd.js';
import type { Figures } from './common.js';

/**
 * Starts `run` with InfluxDB unreachable, so that its catch-up of a year spools every point, and asks
 * /healthz every 20 ms (one request at a time) until the spool has stopped growing for 3 s: the
 * latency of each answer, and what the spool held at the end.
 */
export async function healthzWhileSpooling(
  config: string,
  baseEnv: Record<string, string>,
): Promise<Figures> {
  const port = await freePort();
  const deadInflux = `http://127.0.0.1:${await freePort()}`;
  const daemon = startCli(
    ['run', '--config', config],
    {
      ...baseEnv,
      INFLUX_URL: deadInflux,
      HTTP_LISTEN: `127.0.0.1:${port}`,
      ...(process.env.BENCH_SERVICE_NODE_OPTIONS
        ? { NODE_OPTIONS: process.env.BENCH_SERVICE_NODE_OPTIONS }
        : {}),
    },
    { timeoutMs: 600_000 },
  );
  const spoolDir = join(baseEnv.STATE_DIR!, 'spool');
  const spoolBytes = (): number => {
    try {
      return readdirSync(spoolDir).reduce((sum, f) => sum + statSync(join(spoolDir, f)).size, 0);
    } catch {
      return 0;
    }
  };
  const latencies: number[] = [];
  let lastBytes = -1;
  let stableSinceMs = performance.now();
  const startedMs = performance.now();
  while (performance.now() - startedMs < 300_000) {
    const t0 = performance.now();
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      await res.text();
      if (res.status === 200) latencies.push(performance.now() - t0);
    } catch {
      // not listening yet
    }
    const bytes = spoolBytes();
    if (bytes !== lastBytes) {
      lastBytes = bytes;
      stableSinceMs = performance.now();
    } else if (bytes > 0 && performance.now() - stableSinceMs > 3000) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  daemon.child.kill('SIGTERM');
  await daemon.exited;
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    polls: sorted.length,
    maxMs: sorted[sorted.length - 1] ?? NaN,
    // The first answer comes while the service is still opening (state, sink, its first run's start).
    firstMs: latencies[0] ?? NaN,
    maxAfterFirstMs: latencies.length > 1 ? Math.max(...latencies.slice(1)) : NaN,
    p99Ms: sorted[Math.floor(sorted.length * 0.99)] ?? NaN,
    medianMs: sorted[Math.floor(sorted.length / 2)] ?? NaN,
    spoolMB: lastBytes / 1e6,
    seconds: (stableSinceMs - startedMs) / 1000,
  };
}

/** Posts lines to a fresh database in batches with `concurrency` writers; returns the seconds taken. */
export async function postStraight(
  url: string,
  db: string,
  lines: string[],
  concurrency: number,
  batchSize: number,
): Promise<number> {
  await fetch(`${url}/query?q=${encodeURIComponent(`CREATE DATABASE "${db}"`)}`, { method: 'POST' });
  const batches: string[] = [];
  for (let i = 0; i < lines.length; i += batchSize) batches.push(lines.slice(i, i + batchSize).join('\n'));
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < batches.length) {
        const body = batches[next++]!;
        const res = await fetch(`${url}/write?db=${db}&precision=ms`, { method: 'POST', body });
        if (res.status !== 204) throw new Error(`ceiling write failed: ${res.status} ${await res.text()}`);
      }
    }),
  );
  return (performance.now() - started) / 1000;
}
