/**
 * CPU cost of the pure part of the pipeline: JSON text of a Radar response → parse → validate →
 * flatten → line protocol (the request body), on one core, no I/O. Prints JSON: points per second and the top self-time
 * functions of a CPU profile (node:inspector).
 */
import { Session } from 'node:inspector/promises';
import type { Query } from '../../src/model/query.js';
import { flattenTraffic } from '../../src/flatten/flatten.js';
import { encodeBody } from '../../src/sink/influx/lineProtocol.js';
import { parseRadarResult } from '../../src/radar/response.js';

const GROUPS = 50;
const BUCKETS = 2000;
const H = 3_600_000;

export function responseText(groups = GROUPS, buckets = BUCKETS): string {
  const serie: Record<string, string[]> = {
    timestamps: Array.from({ length: buckets }, (_, i) => new Date(i * H).toISOString().replace('.000', '')),
  };
  for (let g = 0; g < groups; g++)
    serie[g === groups - 1 ? 'other' : String(13335 + g * 7)] = Array.from({ length: buckets }, (_, i) =>
      String(Number((((g * 31 + i * 17) % 1000) / 37.3).toPrecision(8))),
    );
  return JSON.stringify({
    success: true,
    errors: [],
    messages: [],
    result: {
      meta: {
        aggInterval: 'ONE_HOUR',
        lastUpdated: '2026-01-01T00:00:00Z',
        confidenceInfo: { level: 5, annotations: [] },
      },
      serie_0: serie,
    },
  });
}

const query: Query = {
  id: 'bench/AS/1h',
  job: 'bench',
  dimension: 'AS',
  interval: '1h',
  normalization: 'PERCENTAGE',
  limitPerGroup: 49,
  series: [{ name: 'bench', filters: {} }],
  namedSeries: false,
  schedule: '*/15 * * * *',
  timezone: 'UTC',
  lookbackMs: H,
  windowMs: BUCKETS * H,
  settleMs: H,
};

/** One response through the pipeline's pure steps (as a window's fetch and write do them); returns the bytes of line protocol so nothing is optimised away. */
export function processResponse(text: string): { points: number; bytes: number } {
  const body = JSON.parse(text) as { result: unknown };
  const response = parseRadarResult(body.result, [['serie_0']]);
  const { groups, pointCount } = flattenTraffic(query, { startMs: 0, endMs: BUCKETS * H }, response);
  return { points: pointCount, bytes: encodeBody({ groups, points: [] }).body.body.length };
}

export async function measureCpu(
  seconds: number,
): Promise<{ pointsPerSecond: number; topFunctions: { name: string; selfPercent: number }[] }> {
  const text = responseText();
  for (let i = 0; i < 3; i++) processResponse(text); // warm-up: let the JIT settle
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  const startCpu = process.cpuUsage();
  let points = 0;
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) points += processResponse(text).points;
  const cpu = process.cpuUsage(startCpu);
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { pointsPerSecond: points / cpuSeconds, topFunctions: topSelfTime(profile) };
}

export interface ProfileNode {
  id: number;
  hitCount?: number | undefined;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/**
 * The functions with the most self time in a CPU profile, as a share of the samples; `(idle)` (waiting
 * for I/O) is left out of the total when `busyOnly`.
 */
export function topSelfTime(
  profile: { nodes: ProfileNode[] },
  count = 8,
  busyOnly = false,
): { name: string; selfPercent: number }[] {
  const hits = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    if (busyOnly && functionName === '(idle)') continue;
    const file = url.split('/').slice(-2).join('/');
    const name = `${functionName || '(anonymous)'}${file ? ` (${file}:${lineNumber + 1})` : ''}`;
    hits.set(name, (hits.get(name) ?? 0) + (node.hitCount ?? 0));
    total += node.hitCount ?? 0;
  }
  return [...hits]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, n]) => ({ name, selfPercent: Math.round((n / total) * 1000) / 10 }));
}

if (process.argv[1]?.endsWith('cpuCost.js')) {
  console.log(JSON.stringify(await measureCpu(Number(process.argv[2] ?? 5))));
}
