import { describe, expect, test } from '@jest/globals';
import { PassThrough } from 'node:stream';
import type { Logger } from '../../../../src/log.js';
import { IntField, type PointBatch } from '../../../../src/model/point.js';
import { FileSink } from '../../../../src/sink/file/fileSink.js';

const batch: PointBatch = {
  groups: [
    {
      measurement: 'radar_netflows',
      field: 'value',
      tags: { job: 'j', group_key: 'US' },
      timesMs: [1000, 2000],
      timeTexts: ['1000', '2000'],
      values: [1.5, 2],
    },
    {
      measurement: 'radar_netflows',
      field: 'value',
      tags: { job: 'j', group_key: 'bad\nkey' },
      timesMs: [1000],
      timeTexts: ['1000'],
      values: [3],
    },
  ],
  points: [
    { measurement: 'radar_fetches', tags: { job: 'j' }, fields: { points: new IntField(2) }, timeMs: 5 },
  ],
};

describe('FileSink (--dry-run)', () => {
  test('prints the batch as line protocol; what it cannot carry is reported and logged, not printed', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const errors: string[] = [];
    const logger = { error: (m: string) => errors.push(m) } as unknown as Logger;
    const report = await new FileSink(out, logger).write(batch, { job: 'j' });
    expect(text).toBe(
      'radar_netflows,group_key=US,job=j value=1.5 1000\nradar_netflows,group_key=US,job=j value=2 2000\n' +
        'radar_fetches,job=j points=2i 5\n',
    );
    expect(report).toEqual({
      acknowledged: 3,
      spooled: 0,
      refusedByEncoder: [{ reason: 'tag group_key "bad\\nkey" contains a line break', points: 1 }],
      refusedByDatabase: [],
    });
    expect(errors).toEqual([
      expect.stringMatching(/^1 points cannot be written as line protocol \(not written\)/),
    ]);
  });

  test('waits for a reader that does not keep up, instead of buffering everything', async () => {
    const out = new PassThrough({ highWaterMark: 64 });
    const logger = { error: () => undefined } as unknown as Logger;
    const sink = new FileSink(out, logger);
    let done = false;
    const writing = sink.write(batch).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    expect(out.writableLength).toBeGreaterThan(0);
    out.resume();
    await writing;
    expect(done).toBe(true);
  });
});
