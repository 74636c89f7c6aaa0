import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import { AlertLog, MAX_ALERT_BODY_BYTES } from './alertLog.js';
import type { Metrics } from './metrics.js';

export interface Readiness {
  ready: boolean;
  checks: Record<string, string>;
}

/**
 * /healthz: the process answers. /readyz: InfluxDB reachable and a recent success (503 otherwise, with
 * the reasons). /metrics: Prometheus text. POST /alerts: Grafana's notifications, logged (alertLog.ts).
 * Nothing else is served; bind it to loopback unless a scraper (or Grafana) elsewhere needs it.
 */
export async function startHttpServer(
  listen: { host: string; port: number },
  metrics: Metrics,
  readiness: () => Promise<Readiness>,
  logger: Logger,
): Promise<http.Server> {
  const alerts = new AlertLog(logger);
  const receiving = { count: 0 };
  const server = http.createServer((req, res) => {
    if (req.method === 'POST' && req.url?.split('?')[0] === '/alerts')
      return receiveAlerts(req, res, alerts, receiving);
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
    return {
      status: 404,
      type: 'text/plain',
      body: 'not found: try /healthz, /readyz, /metrics or POST /alerts\n',
    };
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, resolve);
  });
  const address = server.address() as AddressInfo;
  logger.info(`health and metrics on http://${address.address}:${address.port}/metrics`);
  return server;
}

/** Notifications read at once: memory stays bounded however many senders post together. */
const MAX_NOTIFICATIONS_AT_ONCE = 2;

/**
 * Reads a notification (bounded in size, and at most two at once: others are told to come back) and
 * logs its alerts: 204, or 400/413/429 saying what is wrong.
 */
function receiveAlerts(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  alerts: AlertLog,
  receiving: { count: number },
): void {
  if (receiving.count >= MAX_NOTIFICATIONS_AT_ONCE) {
    res.writeHead(429, { 'content-type': 'text/plain', 'retry-after': '5' }).end('busy: try again\n');
    req.destroy();
    return;
  }
  receiving.count++;
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  const finish = (): void => {
    if (!done) receiving.count--;
    done = true;
  };
  req.on('close', finish);
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_ALERT_BODY_BYTES) {
      res.writeHead(413, { 'content-type': 'text/plain' }).end(`over ${MAX_ALERT_BODY_BYTES} bytes\n`);
      req.destroy();
      finish();
    } else chunks.push(chunk);
  });
  req.on('end', () => {
    try {
      alerts.log(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(204).end();
    } catch (error) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`${(error as Error).message}\n`);
    } finally {
      chunks.length = 0;
      finish();
    }
  });
}
