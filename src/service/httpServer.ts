import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import type { Metrics } from './metrics.js';

export interface Readiness {
  ready: boolean;
  checks: Record<string, string>;
}

/**
 * /healthz: the process answers. /readyz: InfluxDB reachable and a recent success (503 otherwise, with
 * the reasons). /metrics: Prometheus text. Nothing else is served; bind it to loopback unless a
 * scraper elsewhere needs it.
 */
export async function startHttpServer(
  listen: { host: string; port: number },
  metrics: Metrics,
  readiness: () => Promise<Readiness>,
  logger: Logger,
): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    void route(req.url ?? '/')
      .then(({ status, type, body }) => res.writeHead(status, { 'content-type': type }).end(body))
      .catch((error: unknown) =>
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`error: ${(error as Error).message}\n`),
      );
  });
  async function route(url: string): Promise<{ status: number; type: string; body: string }> {
    const path = url.split('?')[0];
    if (path === '/healthz') return { status: 200, type: 'text/plain', body: 'ok\n' };
    if (path === '/readyz') {
      const r = await readiness();
      return { status: r.ready ? 200 : 503, type: 'application/json', body: JSON.stringify(r) + '\n' };
    }
    if (path === '/metrics')
      return { status: 200, type: metrics.registry.contentType, body: await metrics.registry.metrics() };
    return { status: 404, type: 'text/plain', body: 'not found: try /healthz, /readyz or /metrics\n' };
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, resolve);
  });
  const address = server.address() as AddressInfo;
  logger.info(`health and metrics on http://${address.address}:${address.port}/metrics`);
  return server;
}
