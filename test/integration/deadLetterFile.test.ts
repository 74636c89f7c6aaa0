import { describe, expect, test } from '@jest/globals';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../harness/cli.js';
import { useStack } from '../harness/stack.js';

const CONFIG = `
radar: { retryDelayMs: 20 }
jobs:
  - { name: d, dimensions: [PRODUCT], intervals: [1h], lookback: 1d }
`;
const DAY = 86_400_000;

/** What a kill -9 or a power cut leaves in the dead letters, and a file bigger than one string can hold (#32). */
describe('the dead-letter file, torn or huge', () => {
  const stack = useStack('dead-letter-file', { fixedHorizon: true });
  const file = () => join(stack.stateDir, 'dead-letters.jsonl');
  const letter = (group: string, timeMs: number) =>
    JSON.stringify({
      time: '2026-12-01T00:00:00Z',
      reason: 'points beyond retention policy',
      line: `radar_netflows,job=d,series=d,dimension=PRODUCT,group_key=${group},agg_interval=1h,normalization=PERCENTAGE value=1 ${timeMs}`,
    });

  test('a record cut short never swallows the next letter; the replay recovers the letter and keeps the torn part', async () => {
    mkdirSync(stack.stateDir, { recursive: true });
    const t = Math.floor(Date.now() / 3_600_000) * 3_600_000 - DAY;
    // A torn last record (kill -9 during an append), then a run that refuses points for good.
    writeFileSync(file(), `${letter('HTTP', t)}\n${letter('OTHER', t).slice(0, 60)}`);
    stack.sim.inject({ kind: 'hostile-keys', keys: ['bell\u0007', 'ok'] });
    const run = await runCli(['once', '--config', stack.writeConfig(CONFIG)], stack.env());
    expect(run.code).toBe(1); // the refused key
    const lines = readFileSync(file(), 'utf8').trim().split('\n');
    expect(lines[1]).toBe(letter('OTHER', t).slice(0, 60)); // the torn record alone on its line
    const appended = lines.slice(2).map((l) => JSON.parse(l) as { point?: unknown });
    expect(appended.length).toBeGreaterThan(0);
    expect(appended.every((l) => l.point !== undefined)).toBe(true);

    // An earlier release glued the next letter to a torn record: the replay recovers that letter (one
    // of 2023: of a window this state keeps no answer of, so nothing supersedes it).
    const old = Date.parse('2023-11-14T22:00:00Z');
    writeFileSync(file(), `${letter('OTHER', t).slice(0, 60)}${letter('HTTP', old)}\n`);
    const replay = await runCli(
      ['dead-letters', '--replay', '--config', stack.writeConfig(CONFIG)],
      stack.env(),
    );
    expect(replay.stdout).toMatch(
      /replayed 1 points.*; 1 damaged records \(cut short by a crash\) kept as they are/,
    );
    expect(replay.code).toBe(0);
    expect(readFileSync(file(), 'utf8')).toBe(`${letter('OTHER', t).slice(0, 60)}\n`);
    const stored = await stack.influx.query(
      `SELECT "value" FROM "radar_netflows" WHERE "group_key" = 'HTTP'`,
      stack.db,
    );
    expect(stored.map((r) => Number(r.time))).toContain(old);
    const status = await runCli(['status', '--config', stack.writeConfig(CONFIG)], stack.env());
    expect(status.stdout).toMatch(/1 +damaged records/);
  });

  test('a dead-letter file over 512 MB is counted, not read as "none"', async () => {
    mkdirSync(stack.stateDir, { recursive: true });
    const one = Buffer.from(`${letter('HTTP', 1_700_000_000_000)}\n`);
    const perChunk = Math.floor((1 << 20) / one.length);
    const chunk = Buffer.concat(Array.from({ length: perChunk }, () => one));
    const chunks = Math.ceil((530 << 20) / chunk.length);
    const fd = openSync(file(), 'w');
    try {
      for (let i = 0; i < chunks; i++) writeSync(fd, chunk);
    } finally {
      closeSync(fd);
    }
    try {
      const status = await runCli(['status', '--json', '--config', stack.writeConfig(CONFIG)], stack.env());
      expect(status.code).toBe(0);
      const parsed = JSON.parse(status.stdout) as { deadLetters: { byReason: { points: number }[] } };
      expect(parsed.deadLetters.byReason).toEqual([
        expect.objectContaining({ reason: 'points beyond retention policy', points: chunks * perChunk }),
      ]);
    } finally {
      rmSync(file(), { force: true });
    }
  });
});
