import { describe, expect, test } from '@jest/globals';
import type { Logger } from '../../../src/log.js';
import { IntField, type Point } from '../../../src/model/point.js';
import { BackgroundWriter } from '../../../src/sink/background.js';
import { memorySink } from '../../fixtures/memorySink.js';

const point = (i: number): Point => ({
  measurement: 'radar_fetches',
  tags: { outcome: 'failed' },
  fields: { attempts: new IntField(i) },
  timeMs: i,
});

describe('BackgroundWriter', () => {
  test('points beyond what it keeps are dropped loudly: said once per streak, every one counted', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const sink = memorySink(() => held);
    const lines: string[] = [];
    const logger = {
      warn: (m: string) => void lines.push(`warn ${m}`),
      info: (m: string) => void lines.push(`info ${m}`),
    } as unknown as Logger;
    let dropped = 0;
    const writer = new BackgroundWriter(sink, logger, 'records', 'all', 1000, (n) => (dropped += n));
    writer.write([point(0)]); // in flight, held
    for (let i = 1; i <= 1500; i++) writer.write([point(i)]);
    expect(dropped).toBe(500);
    expect(lines.filter((l) => l.startsWith('warn'))).toEqual([
      expect.stringMatching(/^warn records: 1000 wait for the database already; further ones are dropped/),
    ]);
    release();
    await writer.settled();
    expect(sink.batches.flatMap((b) => b.points)).toHaveLength(1001);
    expect(lines.at(-1)).toBe('info records written again');
  });
});
