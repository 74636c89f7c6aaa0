import { describe, expect, test } from '@jest/globals';
import { LineBatch } from '../../../src/sink/influx/lineBatch.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../src/log.js';
import { Metrics } from '../../../src/service/metrics.js';
import { DeadLetters } from '../../../src/sink/influx/deadLetters.js';
import { DeliveringSink } from '../../../src/sink/influx/deliveringSink.js';
import { InfluxWriteError, type LineWriter } from '../../../src/sink/influx/lineWriter.js';
import { DiskSpool } from '../../../src/sink/influx/spool.js';

class SwitchableInflux implements LineWriter {
  readonly description = 'switchable';
  down = true;
  async write(): Promise<void> {
    if (this.down) throw new InfluxWriteError('connect ECONNREFUSED', 'retry');
  }
  async close(): Promise<void> {}
}

describe('Metrics: each counter means what its help text says', () => {
  test('points_written_total counts what InfluxDB acknowledged, not what was only spooled', async () => {
    const metrics = new Metrics();
    const dir = mkdtempSync(join(tmpdir(), 'metrics-'));
    const influx = new SwitchableInflux();
    const sink = new DeliveringSink(
      influx,
      new DiskSpool(join(dir, 'spool')),
      new DeadLetters(join(dir, 'dead.jsonl')),
      createLogger({ silent: true }),
      { maxSpoolBytes: 1e9, retryMinDelayMs: 5, retryMaxDelayMs: 10, observer: metrics },
    );
    await sink.write(LineBatch.of(['a 1', 'b 2', 'c 3']));
    expect(metrics.totals).toMatchObject({ points_written_total: 0, spooled_points_total: 3 });
    influx.down = false;
    await sink.drain();
    expect(metrics.totals).toMatchObject({ points_written_total: 3, replayed_points_total: 3 });
    await sink.close();
    expect(await metrics.registry.getSingleMetricAsString('radar_netflows_points_written_total')).toMatch(
      /radar_netflows_points_written_total 3$/m,
    );
  });

  test('points line protocol cannot carry count as dead letters', () => {
    const metrics = new Metrics();
    metrics.windowDone({
      window: { startMs: 0, endMs: 1 },
      fetched: true,
      points: 10,
      rejected: 4,
      lastUpdatedMs: undefined,
      missingBuckets: 0,
    });
    expect(metrics.totals.dead_letter_points_total).toBe(4);
    expect(metrics.totals.points_written_total).toBe(0);
  });
});
