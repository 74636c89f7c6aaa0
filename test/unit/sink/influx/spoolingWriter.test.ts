import { afterEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledError } from '../../../../src/errors.js';
import type { Logger } from '../../../../src/log.js';
import { DeadLetters } from '../../../../src/sink/influx/deadLetters.js';
import { LineBatch } from '../../../../src/sink/influx/lineBatch.js';
import { InfluxWriteError, type LineWriter } from '../../../../src/sink/influx/lineWriter.js';
import { DiskSpool } from '../../../../src/sink/influx/spool.js';
import { SpoolingWriter, type SpoolingOptions } from '../../../../src/sink/influx/spoolingWriter.js';
import { SpoolFullError } from '../../../../src/sink/sink.js';
import { systemClock } from '../../../../src/util/time.js';
import { fakeClock } from '../../../fixtures/clock.js';

/**
 * A database stand-in: down, fatal or up on demand. Lines containing "bad" are refused as InfluxDB 1.x
 * refuses what it names nowhere (a 400 whose reason says nothing of the lines): the rest is written.
 */
class FakeInflux implements LineWriter {
  readonly description = 'fake';
  down = false;
  fatal = false;
  readonly stored: string[] = [];
  writes = 0;
  async write(batch: LineBatch): Promise<void> {
    const lines = batch.lines;
    this.writes++;
    if (this.fatal) throw new InfluxWriteError('authorization failed', 'fatal', { fatal: 'credentials' });
    if (this.down) throw new InfluxWriteError('connect ECONNREFUSED', 'retry');
    this.stored.push(...lines.filter((l) => !l.includes('bad')));
    if (lines.some((l) => l.includes('bad')))
      throw new InfluxWriteError('refused: HTTP 400: something went wrong', 'drop', {
        body: '{"error":"something went wrong"}',
      });
  }
  async close(): Promise<void> {}
}

const logged: string[] = [];
/** Records error lines: the dead letters of a batch must be logged once per reason, not once per point. */
const logger = {
  error: (message: string) => logged.push(message),
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
} as unknown as Logger;

/** Every writer a test made, closed after it whether it passed or not: a failed test leaves none retrying. */
const opened: SpoolingWriter[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((writer) => writer.close()));
});

/** Resolves once `condition` holds: a test waits for the state it needs, not for a length of time. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

function setUp(
  inner: LineWriter = new FakeInflux(),
  maxSpoolBytes = 1e9,
  extra: Partial<SpoolingOptions> = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'spooling-'));
  const dead = new DeadLetters(join(dir, 'dead.jsonl'), systemClock);
  const writer = new SpoolingWriter(inner, new DiskSpool(join(dir, 'spool')), dead, logger, {
    clock: systemClock,
    maxSpoolBytes,
    stallAfterMs: 60_000,
    retryMinDelayMs: 5,
    retryMaxDelayMs: 10,
    ...extra,
  });
  opened.push(writer);
  const letters = (): { line: string; reason: string }[] => {
    try {
      return readFileSync(dead.file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { line: string; reason: string });
    } catch {
      return [];
    }
  };
  return { writer, dead, letters };
}

describe('SpoolingWriter', () => {
  test('retry: points go to the spool, later writes queue behind them, replay keeps the order', async () => {
    const influx = new FakeInflux();
    const { writer } = setUp(influx);
    influx.down = true;
    expect(await writer.write(LineBatch.of(['a 1', 'b 2']))).toMatchObject({ acknowledged: 0, spooled: 2 });
    expect(writer.health()).toMatchObject({ lastError: 'connect ECONNREFUSED' });
    expect(writer.health().backlogBytes).toBeGreaterThan(0);
    influx.down = false;
    expect(await writer.write(LineBatch.of(['c 3']))).toMatchObject({ spooled: 1 });
    await writer.drain(5000);
    expect(influx.stored).toEqual(['a 1', 'b 2', 'c 3']);
    expect(writer.health()).toEqual({ backlogBytes: 0, backlogDir: expect.any(String), full: false });
    await writer.close();
  });

  test('a refusal that names no line: the refused line is found within the bound, the rest written', async () => {
    const influx = new FakeInflux();
    const { writer, letters } = setUp(influx);
    const lines = Array.from({ length: 1000 }, (_, i) => (i === 617 ? `bad ${i}` : `ok ${i}`));
    const outcome = await writer.write(LineBatch.of(lines));
    expect(outcome).toEqual({
      acknowledged: 999,
      spooled: 0,
      refusedByEncoder: [],
      refusedByDatabase: [{ reason: 'something went wrong', points: 1 }],
    });
    expect(new Set(influx.stored)).toEqual(new Set(lines.filter((l) => !l.startsWith('bad'))));
    expect(letters()).toEqual([
      { time: expect.any(String), line: 'bad 617', reason: 'something went wrong' },
    ]);
    // One bad line among n: at most 1 + 2·⌈log2 n⌉ writes, within the bound of 4 + 2·⌈log2(n+1)⌉ more.
    expect(influx.writes).toBeLessThanOrEqual(1 + 2 * Math.ceil(Math.log2(1000)));
  });

  test('a refusal that names no line, of every line: refused whole past the bound, never 2N−1 requests', async () => {
    const influx = new FakeInflux();
    const { writer, letters } = setUp(influx);
    const lines = Array.from({ length: 1000 }, (_, i) => `bad ${i}`);
    const outcome = await writer.write(LineBatch.of(lines));
    expect(outcome.acknowledged).toBe(0);
    expect(outcome.refusedByDatabase.reduce((n, r) => n + r.points, 0)).toBe(1000);
    expect(influx.writes).toBeLessThanOrEqual(1 + 2 * (4 + 2 * Math.ceil(Math.log2(1001))));
    expect(letters()).toHaveLength(1000);
    expect(letters().some((l) => /not narrowed further and are kept whole/.test(l.reason))).toBe(true);
  });

  test('a partial write beyond the retention policy: the oldest N lines are refused, in one request', async () => {
    let writes = 0;
    const retention: LineWriter = {
      description: 'retention',
      async write(batch) {
        writes++;
        const old = batch.lines.filter((l) => Number(l.split(' ')[2]) < 5000).length;
        if (old > 0)
          throw new InfluxWriteError('refused', 'drop', {
            body: `{"error":"partial write: points beyond retention policy dropped=${old}"}`,
          });
      },
      async close() {},
    };
    const { writer, letters } = setUp(retention);
    // Out of time order on purpose: the refused ones are found by their times.
    const lines = Array.from({ length: 100 }, (_, i) => `m v=1 ${((i * 37) % 100) * 100}`);
    const outcome = await writer.write(LineBatch.of(lines));
    expect(writes).toBe(1);
    expect(outcome).toMatchObject({
      acknowledged: 50,
      refusedByDatabase: [{ reason: 'partial write: points beyond retention policy dropped=50', points: 50 }],
    });
    expect(letters().every((l) => Number(l.line.split(' ')[2]) < 5000)).toBe(true);
  });

  test('a field type conflict names the refused lines: one request, logged once', async () => {
    const conflict: LineWriter & { writes: number } = {
      description: 'conflict',
      writes: 0,
      async write(batch) {
        this.writes++;
        const bad = batch.lines.filter((l) => l.includes('points="'));
        if (bad.length > 0)
          throw new InfluxWriteError('refused', 'drop', {
            body: `{"error":"partial write: field type conflict: input field \\"points\\" on measurement \\"radar_fetches\\" is type string, already exists as type integer dropped=${bad.length}"}`,
          });
      },
      async close() {},
    };
    const { writer, letters } = setUp(conflict);
    const lines = Array.from({ length: 1000 }, (_, i) =>
      i % 2 ? `radar_fetches,job=x points=${i}i ${i}` : `radar_fetches,job=x points="t ${i}" ${i}`,
    );
    logged.length = 0;
    const outcome = await writer.write(LineBatch.of(lines));
    expect(conflict.writes).toBe(1);
    expect(outcome.acknowledged).toBe(500);
    expect(letters()).toHaveLength(500);
    expect(logged.filter((l) => /refused 500 of 1000 points/.test(l))).toHaveLength(1);
  });

  test('413: the body is sent in halves until it fits', async () => {
    const sizes: number[] = [];
    const small: LineWriter = {
      description: 'small',
      async write(batch) {
        sizes.push(batch.count);
        if (batch.count > 300)
          throw new InfluxWriteError('too large', 'split', { body: 'request too large' });
      },
      async close() {},
    };
    const { writer } = setUp(small);
    const outcome = await writer.write(LineBatch.of(Array.from({ length: 1000 }, (_, i) => `m v=1 ${i}`)));
    expect(outcome).toMatchObject({ acknowledged: 1000, refusedByDatabase: [] });
    expect(sizes).toEqual([1000, 500, 250, 250, 500, 250, 250]);
  });

  test('a full spool lets writers in one at a time, in the order they came, dropping nothing', async () => {
    const influx = new FakeInflux();
    const { writer } = setUp(influx, 10);
    influx.down = true;
    await writer.write(LineBatch.of(['first 1', 'first 2']));
    expect(writer.health().full).toBe(true);
    const order: number[] = [];
    const pending = [2, 3, 4].map((n) =>
      writer.write(LineBatch.of([`w${n} ${n}`])).then(() => order.push(n)),
    );
    // The replay has tried (and failed) several times while the three wait: none of them got in.
    const tried = influx.writes;
    await until(() => influx.writes >= tried + 3);
    expect(order).toEqual([]);
    influx.down = false;
    await Promise.all(pending);
    await writer.drain(5000);
    expect(order).toEqual([2, 3, 4]);
    expect(influx.stored).toEqual(['first 1', 'first 2', 'w2 2', 'w3 3', 'w4 4']);
  });

  test('one-shot: a spool that stays full fails the write after the wait, and later ones at once', async () => {
    const influx = new FakeInflux();
    const { writer } = setUp(influx, 10, { fullSpoolWaitMs: 30 });
    influx.down = true;
    await writer.write(LineBatch.of(['first 1', 'first 2']));
    await expect(writer.write(LineBatch.of(['second 3']))).rejects.toBeInstanceOf(SpoolFullError);
    // At once: settled before the event loop's next turn, so no timer, however short, was waited for.
    const third = writer.write(LineBatch.of(['third 4'])).then(
      () => 'written',
      (error: unknown) => (error instanceof SpoolFullError ? 'refused' : error),
    );
    const nextTurn = new Promise((resolve) => setImmediate(() => resolve('still waiting')));
    expect(await Promise.race([third, nextTurn])).toBe('refused');
    await writer.close();
  });

  test('shutdown: a write waiting for room in a full spool is cancelled, not left hanging', async () => {
    const cancel = new AbortController();
    const influx = new FakeInflux();
    const { writer } = setUp(influx, 10, { signal: cancel.signal });
    influx.down = true;
    await writer.write(LineBatch.of(['first 1', 'first 2']));
    const waiting = writer.write(LineBatch.of(['second 3']));
    const tried = influx.writes;
    await until(() => influx.writes > tried);
    cancel.abort();
    await expect(waiting).rejects.toBeInstanceOf(CancelledError);
    await writer.close();
  });

  test('a fatal answer is in health() even while points wait in the spool, until a write succeeds', async () => {
    const influx = new FakeInflux();
    const { writer } = setUp(influx);
    influx.down = true;
    await writer.write(LineBatch.of(['a 1']));
    influx.down = false;
    influx.fatal = true;
    await until(() => writer.health().fatal !== undefined);
    expect(writer.health().fatal).toEqual({ kind: 'credentials', message: 'authorization failed' });
    await expect(writer.write(LineBatch.of(['b 2']))).rejects.toThrow('authorization failed');
    influx.fatal = false;
    await writer.drain(5000);
    expect(influx.stored).toEqual(['a 1']);
    expect(writer.health().fatal).toBeUndefined();
    await writer.close();
  });

  test("the spool's head standing still past stallAfterMs is in health()", async () => {
    const influx = new FakeInflux();
    const clock = fakeClock(0);
    const { writer } = setUp(influx, 1e9, { stallAfterMs: 30, clock });
    influx.down = true;
    await writer.write(LineBatch.of(['a 1']));
    clock.advance(30);
    expect(writer.health().stalledForMs).toBeUndefined();
    clock.advance(1);
    expect(writer.health().stalledForMs).toBe(31);
    influx.down = false;
    await writer.drain(5000);
    expect(writer.health().stalledForMs).toBeUndefined();
    await writer.close();
  });
});
