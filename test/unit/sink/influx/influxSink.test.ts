import { describe, expect, test } from '@jest/globals';
import { LineBatch } from '../../../../src/sink/influx/lineBatch.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../../src/log.js';
import type { PointBatch, TrafficGroup } from '../../../../src/model/point.js';
import { DeadLetters } from '../../../../src/sink/influx/deadLetters.js';
import { SpoolingWriter } from '../../../../src/sink/influx/spoolingWriter.js';
import { systemClock } from '../../../../src/util/time.js';
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
  test('encodes points; those line protocol cannot carry go to the dead letters, each with its own reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'influx-sink-'));
    const recorder = new Recorder();
    const logger = createLogger({ silent: true });
    const dead = new DeadLetters(join(dir, 'dead.jsonl'), systemClock);
    const writer = new SpoolingWriter(recorder, new DiskSpool(join(dir, 'spool')), dead, logger, {
      clock: systemClock,
      maxSpoolBytes: 1e9,
      stallAfterMs: 1000,
    });
    const group = (k: string, times: number[]) => ({
      measurement: 'm',
      field: 'value',
      tags: { k },
      timesMs: times,
      timeTexts: times.map(String),
      values: times.map(() => 1),
    });
    const batch: PointBatch = {
      groups: [group('ok', [1]), group('trailing\\', [1, 2]), group('', [3])],
      points: [],
    };
    const outcome = await new InfluxSink(writer, dead, logger).write(batch);
    expect(recorder.lines).toEqual(['m,k=ok value=1 1']);
    expect(outcome).toEqual({
      acknowledged: 1,
      spooled: 0,
      refusedByEncoder: [
        {
          reason: 'tag k "trailing\\\\" has a backslash before "the end", which InfluxDB cannot store',
          points: 2,
        },
        { reason: 'tag k "" is empty', points: 1 },
      ],
      refusedByDatabase: [],
    });
    const letters = readFileSync(dead.file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { reason: string; point: { tags: { k: string } } });
    expect(letters.map((l) => [l.point.tags.k, /empty/.test(l.reason)])).toEqual([
      ['trailing\\', false],
      ['trailing\\', false],
      ['', true],
    ]);
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
