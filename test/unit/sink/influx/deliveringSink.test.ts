import { describe, expect, test } from '@jest/globals';
import { LineBatch } from '../../../../src/sink/influx/lineBatch.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '../../../../src/log.js';
import { DeadLetters } from '../../../../src/sink/influx/deadLetters.js';
import {
  DeliveringSink,
  SpoolFullError,
  type DeliveryOptions,
} from '../../../../src/sink/influx/deliveringSink.js';
import { CancelledError } from '../../../../src/errors.js';
import { InfluxWriteError, type LineWriter } from '../../../../src/sink/influx/lineWriter.js';
import { DiskSpool } from '../../../../src/sink/influx/spool.js';

/** A database stand-in: down or up on demand, refusing lines that contain "bad" as InfluxDB 1.x does. */
class FakeInflux implements LineWriter {
  readonly description = 'fake';
  down = false;
  fatal = false;
  readonly stored: string[] = [];
  writes = 0;
  async write(batch: LineBatch): Promise<void> {
    const lines = batch.lines;
    this.writes++;
    if (this.fatal) throw new InfluxWriteError('database not found', 'fatal', 404);
    if (this.down) throw new InfluxWriteError('connect ECONNREFUSED', 'retry');
    this.stored.push(...lines.filter((l) => !l.includes('bad')));
    if (lines.some((l) => l.includes('bad')))
      throw new InfluxWriteError('partial write: field type conflict', 'drop', 400);
  }
  async close(): Promise<void> {}
}

function setUp(maxSpoolBytes = 1e9, extra: Partial<DeliveryOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'deliver-'));
  const influx = new FakeInflux();
  const dead = new DeadLetters(join(dir, 'dead.jsonl'));
  const sink = new DeliveringSink(
    influx,
    new DiskSpool(join(dir, 'spool')),
    dead,
    createLogger({ silent: true }),
    { maxSpoolBytes, retryMinDelayMs: 5, retryMaxDelayMs: 10, ...extra },
  );
  return { influx, sink, dead };
}

describe('DeliveringSink', () => {
  test('retry: points go to the spool, later writes queue behind them, replay keeps the order', async () => {
    const { influx, sink } = setUp();
    influx.down = true;
    await sink.write(LineBatch.of(['a 1', 'b 2']));
    expect(sink.spoolBytes).toBeGreaterThan(0);
    influx.down = false;
    await sink.write(LineBatch.of(['c 3']));
    await sink.drain();
    expect(influx.stored).toEqual(['a 1', 'b 2', 'c 3']);
    expect(sink.spoolBytes).toBe(0);
    await sink.close();
  });

  test('drop: only the refused lines go to the dead letters, found by halving the batch', async () => {
    const { influx, sink, dead } = setUp();
    await sink.write(LineBatch.of(['a 1', 'b 2', 'bad 3', 'c 4', 'd 5']));
    expect(new Set(influx.stored)).toEqual(new Set(['a 1', 'b 2', 'c 4', 'd 5']));
    expect(dead.count).toBe(1);
    const letter = JSON.parse(readFileSync(dead.file, 'utf8').trim()) as { line: string; reason: string };
    expect(letter).toMatchObject({ line: 'bad 3', reason: 'partial write: field type conflict' });
    expect(influx.writes).toBeLessThanOrEqual(1 + 2 * Math.ceil(Math.log2(5)));
  });

  test('fatal: the write is refused, nothing spooled, nothing dead-lettered', async () => {
    const { influx, sink, dead } = setUp();
    influx.fatal = true;
    await expect(sink.write(LineBatch.of(['a 1']))).rejects.toThrow('database not found');
    expect(sink.spoolBytes).toBe(0);
    expect(dead.count).toBe(0);
  });

  test('a full spool holds writers back until replay makes room, dropping nothing', async () => {
    const { influx, sink } = setUp(10);
    influx.down = true;
    await sink.write(LineBatch.of(['first 1', 'first 2']));
    expect(sink.spoolFull).toBe(true);
    let second = false;
    const pending = sink.write(LineBatch.of(['second 3'])).then(() => (second = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(second).toBe(false);
    influx.down = false;
    await pending;
    await sink.drain();
    expect(influx.stored).toEqual(['first 1', 'first 2', 'second 3']);
  });

  test('a field type conflict names the refused lines: one request, not a halving per point', async () => {
    const { sink, dead } = setUp();
    const conflict = new ConflictInflux();
    const lines = Array.from({ length: 1000 }, (_, i) =>
      i % 2 ? `radar_fetches,job=x points=${i}i ${i}` : `radar_fetches,job=x points="t ${i}" ${i}`,
    );
    const narrowing = new DeliveringSink(conflict, new DiskSpool(join(dirOf(dead), 'spool2')), dead, logger, {
      maxSpoolBytes: 1e9,
    });
    await narrowing.write(LineBatch.of(lines));
    expect(conflict.writes).toBe(1);
    expect(dead.count).toBe(500);
    expect(logged.filter((l) => /refused 500 of 1000 points/.test(l))).toHaveLength(1);
    await sink.close();
  });

  test('one-shot: a spool that stays full fails the write after the wait, and later ones at once', async () => {
    const { influx, sink } = setUp(10, { fullSpoolWaitMs: 30 });
    influx.down = true;
    await sink.write(LineBatch.of(['first 1', 'first 2']));
    await expect(sink.write(LineBatch.of(['second 3']))).rejects.toBeInstanceOf(SpoolFullError);
    const startedMs = Date.now();
    await expect(sink.write(LineBatch.of(['third 4']))).rejects.toBeInstanceOf(SpoolFullError);
    expect(Date.now() - startedMs).toBeLessThan(25);
    await sink.close();
  });

  test('shutdown: a write waiting for room in a full spool is cancelled, not left hanging', async () => {
    const cancel = new AbortController();
    const { influx, sink } = setUp(10, { signal: cancel.signal });
    influx.down = true;
    await sink.write(LineBatch.of(['first 1', 'first 2']));
    const waiting = sink.write(LineBatch.of(['second 3']));
    await new Promise((r) => setTimeout(r, 20));
    cancel.abort();
    await expect(waiting).rejects.toBeInstanceOf(CancelledError);
    await sink.close();
  });

  test('a fatal answer is reported even while points wait in the spool', async () => {
    const { influx, sink } = setUp();
    influx.down = true;
    await sink.write(LineBatch.of(['a 1']));
    influx.down = false;
    influx.fatal = true;
    await new Promise((r) => setTimeout(r, 50));
    expect(sink.fatalError?.message).toBe('database not found');
    await expect(sink.write(LineBatch.of(['b 2']))).rejects.toThrow('database not found');
    influx.fatal = false;
    await sink.drain();
    expect(influx.stored).toEqual(['a 1']);
    expect(sink.fatalError).toBeUndefined();
    await sink.close();
  });
});

const logged: string[] = [];
/** Records error lines: the dead letters of a batch must be logged once, not once per point. */
const logger = {
  error: (message: string) => logged.push(message),
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
} as unknown as Logger;

function dirOf(dead: DeadLetters): string {
  return join(dead.file, '..');
}

/** InfluxDB 1.x with a string field where an integer is stored: a partial write naming the conflict. */
class ConflictInflux implements LineWriter {
  readonly description = 'conflict';
  writes = 0;
  async write(batch: LineBatch): Promise<void> {
    const lines = batch.lines;
    this.writes++;
    const bad = lines.filter((l) => l.includes('points="'));
    if (bad.length > 0)
      throw new InfluxWriteError(
        `InfluxDB write of ${lines.length} points refused: HTTP 400: partial write: field type conflict: input field "points" on measurement "radar_fetches" is type string, already exists as type integer dropped=${bad.length}`,
        'drop',
        400,
      );
  }
  async close(): Promise<void> {}
}
