import { describe, expect, test } from '@jest/globals';
import { Metrics } from '../../../src/service/metrics.js';
import { countedSink } from '../../../src/service/countedSink.js';
import { NOTHING_WRITTEN } from '../../../src/sink/outcome.js';
import { memorySink } from '../../fixtures/memorySink.js';

describe('Metrics: each counter means what its help text says, from write outcomes', () => {
  test('points_written_total counts what InfluxDB acknowledged, not what was spooled or refused', async () => {
    const metrics = new Metrics();
    metrics.written({
      acknowledged: 5,
      spooled: 3,
      refusedByEncoder: [{ reason: 'empty key', points: 1 }],
      refusedByDatabase: [{ reason: 'beyond retention', points: 2 }],
    });
    expect(metrics.totals).toMatchObject({
      points_written_total: 5,
      spooled_points_total: 3,
      dead_letter_points_total: 3,
    });
    metrics.replayed({ ...NOTHING_WRITTEN, acknowledged: 3 });
    expect(metrics.totals).toMatchObject({ points_written_total: 8, replayed_points_total: 3 });
    expect(await metrics.registry.getSingleMetricAsString('radar_netflows_points_written_total')).toMatch(
      /radar_netflows_points_written_total 8$/m,
    );
  });

  test('every write through the counted sink is counted once', async () => {
    const metrics = new Metrics();
    const sink = countedSink(memorySink(), metrics);
    await sink.write({ groups: [], points: [{ measurement: 'm', tags: {}, fields: { f: 1 }, timeMs: 1 }] });
    expect(metrics.totals.points_written_total).toBe(1);
  });

  test('process metrics keep their standard names, beside radar_netflows_build_info', async () => {
    const metrics = new Metrics(undefined, { version: '9.9.9' });
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes /m);
    expect(text).not.toMatch(/radar_netflows_process_|radar_netflows_nodejs_/);
    expect(text).toMatch(/^radar_netflows_build_info\{version="9\.9\.9",node="v\d+\.\d+\.\d+"\} 1$/m);
  });
});
