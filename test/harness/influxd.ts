/**
 * A real InfluxDB 1.x (Debian's `influxd`) for integration tests: free ports, a temp dir, torn down
 * afterwards. `.ci/run` installs the package where it is missing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface InfluxRow {
  [column: string]: string | number | boolean | null;
}

/**
 * Which series of its answer a row of `query` came from (0 for the first), kept out of sight of
 * equality and enumeration: Grafana makes one data frame per series, and what it reads of a
 * variable query's frames depends on its version (see grafanaDashboard.ts, foundValues).
 */
const SERIES_INDEX: unique symbol = Symbol('series index');

export function seriesIndexOf(row: object): number | undefined {
  return (row as { [SERIES_INDEX]?: number })[SERIES_INDEX];
}

export class Influxd {
  /**
   * With `auth`, the server requires credentials; start() creates this admin, which the harness's own
   * queries use.
   */
  constructor(
    readonly options: {
      auth?: { user: string; password: string };
      /** More `[data]` settings: limits that make the server refuse (max-values-per-tag …). */
      data?: Record<string, number>;
    } = {},
  ) {}
  private process: ChildProcess | undefined;
  /** The server's process id while it runs (benchmarks read its CPU time). */
  get pid(): number | undefined {
    return this.process?.pid;
  }
  private readonly dir = mkdtempSync(join(tmpdir(), 'influxd-'));
  url = '';
  private httpPort = 0;
  private rpcPort = 0;

  async start(): Promise<this> {
    if (!this.httpPort) {
      this.httpPort = await freePort();
      this.rpcPort = await freePort();
      this.url = `http://127.0.0.1:${this.httpPort}`;
    }
    const config = join(this.dir, 'influxd.conf');
    writeFileSync(
      config,
      `reporting-disabled = true
bind-address = "127.0.0.1:${this.rpcPort}"
[meta]
  dir = "${this.dir}/meta"
  logging-enabled = false
[data]
  dir = "${this.dir}/data"
  wal-dir = "${this.dir}/wal"
  query-log-enabled = false
${Object.entries(this.options.data ?? {})
  .map(([key, value]) => `  ${key} = ${value}`)
  .join('\n')}
[http]
  bind-address = "127.0.0.1:${this.httpPort}"
  log-enabled = false
  auth-enabled = ${this.options.auth ? 'true' : 'false'}
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
`,
    );
    const child = spawn('influxd', ['-config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.process = child;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const spawnError = new Promise<never>((_, reject) =>
      child.on('error', (e) =>
        reject(new Error(`cannot start influxd (apt-get install influxdb): ${e.message}`)),
      ),
    );
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`influxd exited with ${child.exitCode}: ${stderr}`);
      const ok = await Promise.race([
        fetch(`${this.url}/ping`).then(
          (r) => r.status === 204,
          () => false,
        ),
        spawnError,
      ]);
      if (ok) {
        const admin = this.options.auth;
        // The first user of a server with auth on may be created without credentials.
        if (admin)
          await fetch(
            `${this.url}/query?${new URLSearchParams({ q: `CREATE USER "${admin.user}" WITH PASSWORD '${admin.password}' WITH ALL PRIVILEGES` })}`,
            { method: 'POST' },
          );
        return this;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`influxd did not answer /ping within 30 s: ${stderr}`);
  }

  /** Stops the server; the data stays for a restart until destroy(). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  async destroy(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  async query(q: string, db?: string): Promise<InfluxRow[]> {
    const admin = this.options.auth;
    const params = new URLSearchParams({
      q,
      epoch: 'ms',
      ...(db ? { db } : {}),
      ...(admin ? { u: admin.user, p: admin.password } : {}),
    });
    const res = await fetch(`${this.url}/query?${params}`, { method: 'POST' });
    const body = (await res.json()) as {
      results: {
        error?: string;
        series?: { name: string; columns: string[]; values: unknown[][]; tags?: Record<string, string> }[];
      }[];
    };
    const result = body.results[0]!;
    if (result.error) throw new Error(`InfluxDB query failed: ${result.error}`);
    return (result.series ?? []).flatMap((s, index) =>
      s.values.map((row) =>
        Object.defineProperty(
          {
            ...s.tags,
            ...Object.fromEntries(s.columns.map((c, i) => [c, row[i] as InfluxRow[string]])),
          },
          SERIES_INDEX,
          { value: index, enumerable: false },
        ),
      ),
    );
  }
}

export async function writeLines(influx: Influxd, db: string, lines: string): Promise<void> {
  const res = await fetch(`${influx.url}/write?db=${db}&precision=ms`, { method: 'POST', body: lines });
  if (res.status !== 204) throw new Error(`InfluxDB write failed: HTTP ${res.status}: ${await res.text()}`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
