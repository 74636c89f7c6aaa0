import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../src/log.js';
import { DeadLetters } from '../../../src/sink/deadLetters.js';
import { DeliveringSink } from '../../../src/sink/deliveringSink.js';
import { InfluxWriteError, type PointSink } from '../../../src/sink/sink.js';
import { DiskSpool } from '../../../src/sink/spool.js';

/** A database stand-in: down or up on demand, refusing lines that contain "bad" as InfluxDB 1.x does. */
class FakeInflux implements PointSink {
  readonly description = 'fake';
  down = false;
  fatal = false;
  readonly stored: string[] = [];
  writes = 0;
  async write(lines: readonly string[]): Promise<void> {
    this.writes++;
    if (this.fatal) throw new InfluxWriteError('database not found', 'fatal', 404);
    if (this.down) throw new InfluxWriteError('connect ECONNREFUSED', 'retry');
    this.stored.push(...lines.filter((l) => !l.includes('bad')));
    if (lines.some((l) => l.includes('bad')))
      throw new InfluxWriteError('partial write: field type conflict', 'drop', 400);
  }
  async close(): Promise<void> {}
}

function setUp(maxSpoolBytes = 1e9) {
  const dir = mkdtempSync(join(tmpdir(), 'deliver-'));
  const influx = new FakeInflux();
  const dead = new DeadLetters(join(dir, 'dead.jsonl'));
  const sink = new DeliveringSink(
    influx,
    new DiskSpool(join(dir, 'spool')),
    dead,
    createLogger({ silent: true }),
    { maxSpoolBytes, retryMinDelayMs: 5, retryMaxDelayMs: 10 },
  );
  return { influx, sink, dead };
}

describe('DeliveringSink', () => {
  test('retry: points go to the spool, later writes queue behind them, replay keeps the order', async () => {
    const { influx, sink } = setUp();
    influx.down = true;
    await sink.write(['a 1', 'b 2']);
    expect(sink.spoolBytes).toBeGreaterThan(0);
    influx.down = false;
    await sink.write(['c 3']);
    await sink.drain();
    expect(influx.stored).toEqual(['a 1', 'b 2', 'c 3']);
    expect(sink.spoolBytes).toBe(0);
    await sink.close();
  });

  test('drop: only the refused lines go to the dead letters, found by halving the batch', async () => {
    const { influx, sink, dead } = setUp();
    await sink.write(['a 1', 'b 2', 'bad 3', 'c 4', 'd 5']);
    expect(new Set(influx.stored)).toEqual(new Set(['a 1', 'b 2', 'c 4', 'd 5']));
    expect(dead.count).toBe(1);
    const letter = JSON.parse(readFileSync(dead.file, 'utf8').trim()) as { line: string; reason: string };
    expect(letter).toMatchObject({ line: 'bad 3', reason: 'partial write: field type conflict' });
    expect(influx.writes).toBeLessThanOrEqual(1 + 2 * Math.ceil(Math.log2(5)));
  });

  test('fatal: the write is refused, nothing spooled, nothing dead-lettered', async () => {
    const { influx, sink, dead } = setUp();
    influx.fatal = true;
    await expect(sink.write(['a 1'])).rejects.toThrow('database not found');
    expect(sink.spoolBytes).toBe(0);
    expect(dead.count).toBe(0);
  });

  test('a full spool holds writers back until replay makes room, dropping nothing', async () => {
    const { influx, sink } = setUp(10);
    influx.down = true;
    await sink.write(['first 1', 'first 2']);
    expect(sink.spoolFull).toBe(true);
    let second = false;
    const pending = sink.write(['second 3']).then(() => (second = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(second).toBe(false);
    influx.down = false;
    await pending;
    await sink.drain();
    expect(influx.stored).toEqual(['first 1', 'first 2', 'second 3']);
  });
});
