import { describe, expect, test } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../src/log.js';
import type { RadarClient } from '../../../src/radar/client.js';
import { Daemon, groupBySchedule } from '../../../src/service/daemon.js';
import { Metrics } from '../../../src/service/metrics.js';
import { StateStore } from '../../../src/state/store.js';
import { StrictlyIncreasingTimes, systemClock } from '../../../src/util/time.js';
import { makeQuery } from '../../fixtures/query.js';
import { memorySink } from '../../fixtures/memorySink.js';
import { BackgroundWriter } from '../../../src/sink/background.js';

/**
 * A Radar whose requests are on the wire for `delayMs`: like the real client, only `cancel` (the end
 * of the grace period) abandons them; the shutdown's first step does not.
 */
function slowClient(delayMs: number, calls: { n: number }, cancel: AbortSignal) {
  return {
    refusedCredentials: undefined,
    async fetch() {
      calls.n++;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, delayMs);
        cancel.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
        });
      });
      return {
        response: {
          meta: {
            aggInterval: undefined,
            normalization: undefined,
            lastUpdatedMs: undefined,
            confidenceLevel: 5,
            annotations: [],
          },
          series: [{ key: 'serie_0', timestampsMs: [], groups: new Map() }],
        },
        attempts: 1,
        durationMs: delayMs,
      };
    },
  } as unknown as RadarClient;
}

function daemonWith(delayMs: number, calls: { n: number }, graceMs: number) {
  const cancel = new AbortController();
  const client = slowClient(delayMs, calls, cancel.signal);
  const metrics = new Metrics();
  const query = makeQuery({ windowMs: 3_600_000, lookbackMs: 3_600_000 });
  const daemon = new Daemon(
    {
      queries: [query],
      service: {
        listen: undefined,
        runOnStart: false,
        jitterMs: 0,
        graceMs,
        staleAfterMs: 3_600_000,
        statsEveryMs: 60_000,
      },
      logger: createLogger({ silent: true }),
      clock: systemClock,
    },
    {
      client,
      sink: memorySink(),
      failureRecords: new BackgroundWriter(memorySink(), createLogger({ silent: true }), 'records'),
      logger: createLogger({ silent: true }),
      clock: systemClock,
      recordTimes: new StrictlyIncreasingTimes(systemClock),
      cancel,
    },
    StateStore.open(mkdtempSync(join(tmpdir(), 'daemon-'))),
    metrics,
  );
  return { daemon, metrics, query };
}

describe('Daemon', () => {
  test('a tick while the job still runs is skipped and counted; stop waits for the run in flight', async () => {
    const calls = { n: 0 };
    const { daemon, metrics, query } = daemonWith(100, calls, 5000);
    daemon.tick('j', [query]);
    daemon.tick('j', [query]);
    expect(metrics.totals.skipped_ticks_total).toBe(1);
    expect(await daemon.stop()).toBe(true);
    // The window on the wire finished; the next one was not started; nothing counts as failed.
    expect(calls.n).toBe(1);
    expect(metrics.totals.windows_failed_total).toBe(0);
    daemon.tick('j', [query]); // after stop: nothing starts
    expect(calls.n).toBe(1);
  });

  test('stop gives up after the grace period and records no failure', async () => {
    const calls = { n: 0 };
    const { daemon, metrics, query } = daemonWith(60_000, calls, 50);
    daemon.tick('j', [query]);
    const startedMs = Date.now();
    expect(await daemon.stop()).toBe(false);
    expect(Date.now() - startedMs).toBeLessThan(2000);
    expect(metrics.totals.windows_failed_total).toBe(0);
  });

  test('queries run together per job and schedule, named after the job, with the intervals when it is split', () => {
    const q = (job: string, interval: '15m' | '1h' | '1d', schedule: string) =>
      makeQuery({ id: `${job}/${interval}`, job, interval, schedule });
    const groups = groupBySchedule([
      q('world', '15m', '*/15 * * * *'),
      q('world', '1d', '0 */6 * * *'),
      q('world', '1h', '0 * * * *'),
      q('eu', '1h', '0 * * * *'),
      q('eu', '1d', '0 * * * *'),
    ]);
    expect([...groups].map(([name, queries]) => [name, queries.map((x) => x.id)])).toEqual([
      ['world 15m', ['world/15m']],
      ['world 1d', ['world/1d']],
      ['world 1h', ['world/1h']],
      ['eu', ['eu/1h', 'eu/1d']],
    ]);
  });
});
