import { describe, expect, test } from '@jest/globals';
import { createLogger } from '../../../src/log.js';
import type { Window } from '../../../src/model/window.js';
import type { PipelineDeps } from '../../../src/pipeline/deps.js';
import { runQuery } from '../../../src/pipeline/runQuery.js';
import type { FetchResult, RadarClient } from '../../../src/radar/client.js';
import type { RadarRequest } from '../../../src/radar/request.js';
import { ServiceError } from '../../../src/errors.js';
import { Semaphore } from '../../../src/util/semaphore.js';
import { StrictlyIncreasingTimes } from '../../../src/util/time.js';
import { makeQuery } from '../../fixtures/query.js';
import { memorySink } from '../../fixtures/memorySink.js';
import { BackgroundWriter } from '../../../src/sink/background.js';

const W = 7 * 86_400_000;
const windows: Window[] = [0, 1, 2, 3, 4].map((k) => ({ startMs: k * W, endMs: (k + 1) * W }));
const clock = { nowMs: () => 100 * W, monotonicMs: () => 0 };

/** Radar for one window: answers after `delayMs(k)`, or fails for the windows in `failing`. */
function fakeDeps(options: { delayMs?: (k: number) => number; failing?: number[] } = {}) {
  const started: number[] = [];
  const written: number[] = [];
  const client = {
    refusedCredentials: undefined,
    async fetch(request: RadarRequest): Promise<FetchResult> {
      const k = Date.parse(request.series[0]!.dateStart!) / W;
      started.push(k);
      await new Promise((r) => setTimeout(r, options.delayMs?.(k) ?? 0));
      if (options.failing?.includes(k)) throw new ServiceError('radar_unavailable', `window ${k} failed`);
      const startMs = k * W;
      return {
        response: {
          meta: {
            aggInterval: undefined,
            normalization: undefined,
            lastUpdatedMs: 101 * W,
            confidenceLevel: 5,
            annotations: [],
          },
          series: [
            { key: 'serie_0', timestampsMs: [startMs], groups: new Map([['US', Float64Array.of(1)]]) },
          ],
        },
        attempts: 1,
        durationMs: 1,
      };
    },
  } as unknown as RadarClient;
  const deps: PipelineDeps = {
    client,
    sink: memorySink((batch) => {
      if (batch.groups.length > 0) written.push(batch.groups[0]!.timesMs[0]! / W);
    }),
    failureRecords: new BackgroundWriter(memorySink(), createLogger({ silent: true }), 'records'),
    logger: createLogger({ silent: true }),
    clock,
    recordTimes: new StrictlyIncreasingTimes(clock),
  };
  return { deps, started, written };
}

describe('runQuery', () => {
  test('windows in parallel finish in any order, but are reported in window order', async () => {
    const { deps } = fakeDeps({ delayMs: (k) => (5 - k) * 10 });
    const reported: number[] = [];
    const outcome = await runQuery(makeQuery(), windows, deps, {
      parallel: 3,
      onWindow: (result) => void reported.push(result.window.startMs / W),
    });
    expect(outcome).toMatchObject({ ok: true, aborted: false, written: { acknowledged: 5 } });
    expect(reported).toEqual([0, 1, 2, 3, 4]);
  });

  test('the first failure stops the query there: later windows are not reported, none starts after it', async () => {
    const { deps, started } = fakeDeps({ failing: [1], delayMs: (k) => (k === 1 ? 20 : 0) });
    const reported: number[] = [];
    const outcome = await runQuery(makeQuery(), windows, deps, {
      parallel: 2,
      onWindow: (result) => void reported.push(result.window.startMs / W),
    });
    expect(outcome.ok).toBe(false);
    expect(outcome.error?.message).toBe('window 1 failed');
    expect(reported).toEqual([0]);
    expect(started.length).toBeLessThan(windows.length);
  });

  test('a shutdown lets the windows in flight finish and starts no other', async () => {
    const { deps, started } = fakeDeps({ delayMs: () => 10 });
    const stop = new AbortController();
    const outcome = await runQuery(makeQuery(), windows, deps, {
      parallel: 1,
      signal: stop.signal,
      onWindow: () => stop.abort(),
    });
    expect(outcome).toMatchObject({ ok: false, aborted: true });
    expect(outcome.done).toHaveLength(1);
    expect(started).toEqual([0]);
  });

  test('windowSlots bound the windows under way over all queries together', async () => {
    const { deps } = fakeDeps({ delayMs: () => 5 });
    let underWay = 0;
    let most = 0;
    const write = deps.sink.write.bind(deps.sink);
    const fetch = deps.client.fetch.bind(deps.client);
    deps.client.fetch = async (...args) => {
      most = Math.max(most, ++underWay);
      return fetch(...args);
    };
    deps.sink.write = async (batch) => {
      const report = await write(batch);
      underWay--;
      return report;
    };
    deps.windowSlots = new Semaphore(3);
    const outcomes = await Promise.all(
      ['a', 'b', 'c'].map((job) =>
        runQuery(makeQuery({ id: `${job}/AS/1h`, job }), windows, deps, { parallel: 4 }),
      ),
    );
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(most).toBe(3);
  });

  test('a shutdown while a window waits for a slot cancels it: not a failure', async () => {
    const { deps } = fakeDeps({ delayMs: () => 20 });
    deps.windowSlots = new Semaphore(1);
    const stop = new AbortController();
    const first = runQuery(makeQuery({ id: 'a/AS/1h', job: 'a' }), windows, deps, { signal: stop.signal });
    const second = runQuery(makeQuery({ id: 'b/AS/1h', job: 'b' }), windows, deps, { signal: stop.signal });
    setTimeout(() => stop.abort(), 5);
    const outcomes = await Promise.all([first, second]);
    expect(outcomes.map((o) => [o.ok, o.aborted])).toEqual([
      [false, true],
      [false, true],
    ]);
    expect(outcomes[0]!.done).toHaveLength(1);
    expect(outcomes[1]!.done).toHaveLength(0);
  });
});
