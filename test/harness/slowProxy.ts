/**
 * An HTTP proxy on loopback in front of InfluxDB: holds answers back (an InfluxDB slower than the
 * timeout), and counts the write requests it passes on.
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
  private server: http.Server | undefined;
  url = '';

  constructor(private readonly target: string) {}

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
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
