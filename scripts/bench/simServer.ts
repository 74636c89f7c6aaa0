/**
 * The Radar simulator in a process of its own, so that benchmarks measure the service's CPU and memory
 * without the simulator's. argv[2]: data horizon (ms). Prints {"url","token"} and serves until killed.
 * Responses are cached, so repeated passes over the same windows cost the simulator almost nothing.
 */
import { RadarSimulator } from '../../test/harness/radarSimulator.js';

const sim = new RadarSimulator({ cacheResponses: true });
sim.recordBodies = false;
const horizon = Number(process.argv[2]);
sim.dataUntilMs = () => horizon;
await sim.start();
// Keep the request log short: benchmarks only count requests.
setInterval(() => sim.served.splice(0, Math.max(0, sim.served.length - 10)), 1000).unref();
process.stdout.write(`${JSON.stringify({ url: sim.url, token: sim.token })}\n`);
process.on('SIGTERM', () => void sim.stop().then(() => process.exit(0)));
