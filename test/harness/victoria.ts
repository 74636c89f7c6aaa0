/**
 * A real second implementation of InfluxDB's `/api/v2/write`: Debian's `victoria-metrics`, on a free
 * port in a temp dir, for the 2.x/3.x write path. It reads points back through its export API, where a
 * point of measurement m and field f is the series `m_f` with the tags as labels.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './influxd.js';
import { pointKey, type PointKey } from './groundTruth.js';

export class VictoriaMetrics {
  private process: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'victoria-'));
  url = '';

  async start(): Promise<this> {
    if (!this.url) this.url = `http://127.0.0.1:${await freePort()}`;
    const child = spawn(
      'victoria-metrics',
      [
        `-httpListenAddr=${this.url.replace('http://', '')}`,
        `-storageDataPath=${this.dir}`,
        '-retentionPeriod=100y',
        '-search.latencyOffset=0s',
        // InfluxDB overwrites a point written again (same series and time); VictoriaMetrics keeps every
        // sample unless told to deduplicate. Our promise (no duplicates) relies on the overwrite.
        '-dedup.minScrapeInterval=1ms',
        '-loggerLevel=ERROR',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.process = child;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const spawnError = new Promise<never>((_, reject) =>
      child.on('error', (e) =>
        reject(new Error(`cannot start victoria-metrics (apt-get install victoria-metrics): ${e.message}`)),
      ),
    );
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null)
        throw new Error(`victoria-metrics exited with ${child.exitCode}: ${stderr}`);
      const ok = await Promise.race([
        fetch(`${this.url}/ping`).then(
          (r) => r.status === 204,
          () => false,
        ),
        spawnError,
      ]);
      if (ok) return this;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`victoria-metrics did not answer /ping within 30 s: ${stderr}`);
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The radar_netflows points it holds, keyed like the ground truth, and how many values in all. */
  async traffic(): Promise<{ points: Map<PointKey, number>; rows: number }> {
    await fetch(`${this.url}/internal/force_flush`);
    const body = new URLSearchParams({ 'match[]': '{__name__="radar_netflows_value"}', start: '0' });
    const text = await (await fetch(`${this.url}/api/v1/export`, { method: 'POST', body })).text();
    const points = new Map<PointKey, number>();
    let rows = 0;
    for (const line of text.split('\n').filter((l) => l !== '')) {
      const series = JSON.parse(line) as {
        metric: Record<string, string>;
        values: number[];
        timestamps: number[];
      };
      series.timestamps.forEach((t, i) => {
        rows++;
        points.set(pointKey(series.metric as never, t), series.values[i]!);
      });
    }
    return { points, rows };
  }
}
