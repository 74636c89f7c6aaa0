import { describe, expect, test } from '@jest/globals';
import type { TrafficGroup } from '../../../src/model/point.js';
import { DeliveredBuckets } from '../../../src/pipeline/deliveredBuckets.js';

const H = 3_600_000;
const window = { startMs: 0, endMs: 24 * H };

function group(key: string, values: Record<number, number>): TrafficGroup {
  const timesMs = Object.keys(values).map(Number);
  return {
    measurement: 'radar_netflows',
    field: 'value',
    tags: { job: 'j', group_key: key },
    timesMs,
    timeTexts: timesMs.map(String),
    values: timesMs.map((t) => values[t]!),
  };
}

function clockAt(ms: number) {
  const clock = { ms, nowMs: () => clock.ms, monotonicMs: () => clock.ms };
  return clock;
}

describe('DeliveredBuckets', () => {
  test('leaves out what was delivered with the same value; keeps new, changed and unknown groups', () => {
    const memory = new DeliveredBuckets(clockAt(0));
    memory.remember('q', window, [group('US', { 0: 1, [H]: 2 }), group('DE', { 0: 5 })], true);
    const { groups, unchanged } = memory.changedOnly('q', window, [
      group('US', { 0: 1, [H]: 2.5, [2 * H]: 3 }),
      group('DE', { 0: 5 }),
      group('FR', { 0: 7 }),
    ]);
    expect(unchanged).toBe(2);
    expect(groups.map((g) => [g.tags.group_key, g.timesMs, g.values, g.timeTexts])).toEqual([
      ['US', [H, 2 * H], [2.5, 3], [String(H), String(2 * H)]],
      ['FR', [0], [7], ['0']],
    ]);
    // Another query, or another window of the same query, knows nothing.
    expect(memory.changedOnly('other', window, [group('DE', { 0: 5 })]).unchanged).toBe(0);
    expect(
      memory.changedOnly('q', { startMs: 24 * H, endMs: 48 * H }, [group('DE', { 0: 5 })]).unchanged,
    ).toBe(0);
  });

  test('a window is written in full again once its memory is rewriteAfterMs old, however often it ran', () => {
    const clock = clockAt(0);
    const memory = new DeliveredBuckets(clock, 6 * H);
    const groups = [group('US', { 0: 1 })];
    memory.remember('q', window, groups, true);
    clock.ms = 5 * H;
    expect(memory.changedOnly('q', window, groups).unchanged).toBe(1);
    memory.remember('q', window, groups, false); // only changes were written: the memory keeps its age
    clock.ms = 6 * H;
    expect(memory.changedOnly('q', window, groups).unchanged).toBe(0);
    memory.remember('q', window, groups, true);
    expect(memory.changedOnly('q', window, groups).unchanged).toBe(1);
  });

  test('forgets final windows, and keeps at most two windows per query', () => {
    const memory = new DeliveredBuckets(clockAt(0));
    for (let day = 0; day < 3; day++)
      memory.remember(
        'q',
        { startMs: day * 24 * H, endMs: (day + 1) * 24 * H },
        [group('US', { 0: 1 })],
        true,
      );
    expect(memory.size).toBe(2);
    memory.forget('q', { startMs: 48 * H, endMs: 72 * H });
    expect(memory.size).toBe(1);
  });
});
