/** What the bench's parts share: its figures and how they are printed. */
import { readFileSync } from 'node:fs';

export const DAY = 86_400_000;

/** One scenario's measurements, by name. */
export type Figures = Record<string, number>;

export const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The minutes `requests` take at `rate` per 5 minutes, the first span's going at once. */
export const minutesAt = (requests: number, rate: number): number =>
  Math.max(0, Math.ceil(requests / rate) - 1) * 5;

/**
 * What the Dockerfile, the systemd unit and `npm start` start node with, and the bin re-executes itself
 * with on Node.js 22.15+ (src/cli/v8Flags.ts). The runs without it need a node without process.execve
 * (Node.js 20, as `npm run bench` runs here), or the bin would add it.
 */
export const SERVICE_FLAGS = ['--max-semi-space-size=4'];

/** CPU seconds a process has used so far (Linux /proc; clock ticks of 1/100 s). */
export function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
