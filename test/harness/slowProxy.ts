/**
 * An HTTP proxy on loopback in front of InfluxDB: holds answers back (an InfluxDB slower than the
 * timeout), counts the write requests and the InfluxQL statements it passes on, plays an InfluxDB that
 * is down, and lets a test act when a given request arrives.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export class SlowProxy {
  delayMs = 0;
  /** Write requests passed on (/write, /api/v2/write). */
  writeRequests = 0;
  /** Their bodies, when `keepBodies` is set. */
  readonly bodies: Buffer[] = [];
  keepBodies = false;
  /** The verb (SELECT, DELETE, CREATE …) of each InfluxQL statement in the `/query` requests passed on. */
  readonly statements: string[] = [];
  /** Answers every request with this status itself (an InfluxDB down behind a load balancer: 503). */
  answerAll: number | undefined = undefined;
  /** Sees each request first; false holds it unanswered (the test decides what happens meanwhile). */
  inspect: ((url: string, method: string) => boolean) | undefined = undefined;
  private server: http.Server | undefined;
  url = '';

  constructor(private readonly target: string) {}

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (this.answerAll !== undefined) return void res.writeHead(this.answerAll).end('down');
        const q = new URL(req.url ?? '/', 'http://proxy').searchParams.get('q');
        if (q) this.statements.push(...q.split(';').map((s) => s.trim().split(' ')[0]!.toUpperCase()));
        if (
          this.inspect &&
          !this.inspect(decodeURIComponent((req.url ?? '').replace(/\+/g, ' ')), req.method ?? '')
        )
          return;
        const write = /^\/(api\/v2\/)?write/.test(req.url ?? '');
        if (write) this.writeRequests++;
        if (write && this.keepBodies) this.bodies.push(Buffer.concat(chunks));
        const delay = write ? this.delayMs : 0;
        setTimeout(() => {
          const upstream = http.request(
            this.target + (req.url ?? '/'),
            { method: req.method, headers: req.headers },
            (answer) => {
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              answer.pipe(res);
            },
          );
          upstream.on('error', () => res.writeHead(502).end());
          upstream.end(Buffer.concat(chunks));
        }, delay);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
