import { describe, expect, test } from '@jest/globals';
import { LineBatch } from '../../../../src/sink/influx/lineBatch.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../../src/log.js';
import type { PointBatch, TrafficGroup } from '../../../../src/model/point.js';
import { DeadLetters } from '../../../../src/sink/influx/deadLetters.js';
import { DeliveringSink } from '../../../../src/sink/influx/deliveringSink.js';
import { chunks, InfluxSink } from '../../../../src/sink/influx/influxSink.js';
import type { LineWriter } from '../../../../src/sink/influx/lineWriter.js';
import { DiskSpool } from '../../../../src/sink/influx/spool.js';

class Recorder implements LineWriter {
  readonly description = 'recorder';
  readonly lines: string[] = [];
  async write(batch: LineBatch): Promise<void> {
    const lines = batch.lines;
    this.lines.push(...lines);
  }
  async close(): Promise<void> {}
}

describe('InfluxSink', () => {
  test('encodes points; those line protocol cannot carry go to the dead letters with the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'influx-sink-'));
    const recorder = new Recorder();
    const logger = createLogger({ silent: true });
    const dead = new DeadLetters(join(dir, 'dead.jsonl'));
    const delivery = new DeliveringSink(recorder, new DiskSpool(join(dir, 'spool')), dead, logger, {
      maxSpoolBytes: 1e9,
    });
    const batch: PointBatch = {
      groups: [
        { measurement: 'm', field: 'value', tags: { k: 'ok' }, timesMs: [1], timeTexts: ['1'], values: [1] },
        {
          measurement: 'm',
          field: 'value',
          tags: { k: 'trailing\\' },
          timesMs: [1, 2],
          timeTexts: ['1', '2'],
          values: [1, 2],
        },
      ],
      points: [],
    };
    const report = await new InfluxSink(delivery, dead, logger).write(batch);
    expect(recorder.lines).toEqual(['m,k=ok value=1 1']);
    expect(report).toEqual({ refused: 2, refusedFromGroups: 2 });
    const letters = readFileSync(dead.file, 'utf8').trim().split('\n');
    expect(letters).toHaveLength(2);
    expect(letters[0]).toMatch(/backslash before \\"the end\\"/);
  });
});

const group = (key: string, points: number): TrafficGroup => ({
  measurement: 'radar_netflows',
  field: 'value',
  tags: { group_key: key },
  timesMs: Array.from({ length: points }, (_, i) => i),
  timeTexts: Array.from({ length: points }, (_, i) => String(i)),
  values: Array.from({ length: points }, () => 1),
});

describe('InfluxSink chunks', () => {
  test('whole groups up to the chunk size, the single points last; every point once', () => {
    const record = { measurement: 'radar_fetches', tags: {}, fields: { points: 1 }, timeMs: 1 };
    const batch: PointBatch = {
      groups: [group('a', 3000), group('b', 3000), group('c', 1500), group('d', 7000)],
      points: [record],
    };
    const parts = [...chunks(batch, 5000)];
    expect(parts.map((p) => [p.groups.map((g) => g.tags.group_key), p.points.length])).toEqual([
      [['a'], 0],
      [['b', 'c'], 0],
      [['d'], 1],
    ]);
    // Nothing but single points: one part.
    expect([...chunks({ groups: [], points: [record] }, 5000)]).toEqual([{ groups: [], points: [record] }]);
  });
});
