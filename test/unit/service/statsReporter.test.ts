import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { createLogger } from '../../../src/log.js';
import { Metrics } from '../../../src/service/metrics.js';
import { StatsReporter } from '../../../src/service/statsReporter.js';
import type { PointBatch } from '../../../src/model/point.js';
import { NOTHING_WRITTEN, type WriteOutcome } from '../../../src/sink/outcome.js';
import type { PointSink } from '../../../src/sink/sink.js';
import { makeQuery } from '../../fixtures/query.js';

/** A sink whose writes wait for room until `free()` is called, as with InfluxDB down and the spool full. */
function fullSpoolSink() {
  const waiting: { batch: PointBatch; done: (o: WriteOutcome) => void }[] = [];
  const sink: PointSink = {
    description: 'full spool',
    write: (batch) => new Promise((done) => waiting.push({ batch, done })),
    health: () => ({ backlogBytes: 1e9, full: true }),
    drain: async () => undefined,
    close: async () => undefined,
  };
  const free = () => {
    for (const w of waiting.splice(0)) w.done({ ...NOTHING_WRITTEN, spooled: w.batch.points.length });
  };
  return { sink, waiting, free };
}

describe('StatsReporter with the spool full', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: 1_800_000_000_000 });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  test('an hour of reports queues no write behind another; room back, the newest report alone is written', async () => {
    const clock = { nowMs: () => Date.now(), monotonicMs: () => Date.now() };
    const { sink, waiting, free } = fullSpoolSink();
    const stats = new StatsReporter(new Metrics(clock), sink, clock, createLogger({ silent: true }), [
      makeQuery(),
    ]);
    stats.start(60_000);
    for (let minute = 0; minute < 60; minute++) {
      await jest.advanceTimersByTimeAsync(60_000);
      expect(waiting.length).toBeLessThanOrEqual(1);
    }
    expect(stats.skippedReports).toBe(59 - 1);
    const firstTime = waiting[0]!.batch.points[0]!.timeMs;
    free();
    await jest.advanceTimersByTimeAsync(0);
    // The write waiting behind the first is the last report asked for, not 59 of them.
    expect(waiting).toHaveLength(1);
    expect(waiting[0]!.batch.points[0]!.timeMs).toBe(firstTime + 59 * 60_000);
    free();
    const stopping = stats.stop();
    await jest.advanceTimersByTimeAsync(0);
    free();
    await stopping;
  });
});
