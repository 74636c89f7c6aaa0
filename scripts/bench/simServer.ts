/**
 * The Radar simulator in a process of its own, so that benchmarks measure the service's CPU and memory
 * without the simulator's. argv[2]: data horizon (ms). Prints {"url","token","control"} and serves until
 * killed. Responses are cached, so repeated passes over the same windows cost the simulator almost
 * nothing. `control` is a second loopback server for the benchmark itself: POST /horizon?ms=… moves
 * the data horizon (a simulated day of scheduled runs), GET /stats says what was served.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RadarSimulator } from '../../test/harness/radarSimulator.js';

const sim = new RadarSimulator({ cacheResponses: true });
sim.recordBodies = false;
let horizon = Number(process.argv[2]);
sim.dataUntilMs = () => horizon;
await sim.start();
let requests = 0;
// Keep the request log short: benchmarks only count requests.
setInterval(() => {
  requests += sim.served.length;
  sim.served.length = 0;
}, 1000).unref();
const control = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://control');
  if (url.pathname === '/horizon') horizon = Number(url.searchParams.get('ms'));
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ horizon, bytes: sim.bytesServed, requests: requests + sim.served.length }));
});
await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
const controlUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;
process.stdout.write(`${JSON.stringify({ url: sim.url, token: sim.token, control: controlUrl })}\n`);
process.on('SIGTERM', () => {
  control.close();
  void sim.stop().then(() => process.exit(0));
});
