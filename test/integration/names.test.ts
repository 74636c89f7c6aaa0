import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { runCli } from '../harness/cli.js';
import { actualTraffic } from '../harness/groundTruth.js';
import type { EntityFault } from '../harness/radarSimulator.js';
import { expectedLabel } from '../harness/simNames.js';
import { useStack } from '../harness/stack.js';

const CONFIG = `
radar: { retryDelayMs: 20 }
jobs:
  - name: world
    dimensions: [AS, ADM1, LOCATION, PRODUCT]
    intervals: [1d]
    lookback: 3d
`;

describe('names of the group keys', () => {
  const stack = useStack('names', { fixedHorizon: true });
  const { influx, sim } = stack;

  /** The newest label per dimension and group key, as the dashboards read them. */
  async function labels(db = stack.db): Promise<Map<string, string>> {
    const rows = await influx.query(
      'SELECT last(label) AS label FROM radar_names GROUP BY dimension, group_key',
      db,
    );
    return new Map(rows.map((r) => [`${r.dimension as string}|${r.group_key as string}`, r.label as string]));
  }

  async function trafficKeys(db = stack.db): Promise<string[]> {
    const rows = await influx.query(
      'SELECT count(value) FROM radar_netflows WHERE time >= 0 GROUP BY dimension, group_key',
      db,
    );
    return rows.map((r) => `${r.dimension as string}|${r.group_key as string}`);
  }

  test('after once, every AS, ADM1 and LOCATION group written has its name, fetched in one request per dimension', async () => {
    const result = await runCli(['once', '--config', stack.writeConfig(CONFIG)], stack.env());
    expect(result.stderr).not.toMatch(/names of group keys not all refreshed/);
    expect(result.code).toBe(0);
    const names = await labels();
    const keys = (await trafficKeys()).filter((k) => !k.startsWith('PRODUCT|'));
    expect(keys.length).toBeGreaterThan(40);
    for (const key of keys) {
      const [dimension, groupKey] = key.split('|') as [string, string];
      expect([key, names.get(key)]).toEqual([key, expectedLabel(dimension, groupKey)]);
    }
    // Names with commas, quotes, a backslash and other scripts come back as they were.
    expect(names.get('AS|16509')).toBe('Amazon.com, Inc. (AS16509)');
    expect(names.get('AS|7922')).toBe('Comcast "Xfinity" (AS7922)');
    expect(names.get('AS|5432')).toBe('Proximus\\NV (AS5432)');
    expect(names.get('ADM1|1850147')).toBe('東京都, JP');
    expect(names.get('AS|16276')).toBeUndefined(); // Radar has no entity for it
    expect(sim.entityServed.map((e) => e.path).sort()).toEqual([
      'entities/asns',
      'entities/locations',
      'geolocations',
    ]);
    expect(existsSync(join(stack.stateDir, 'names.json'))).toBe(true);

    // A second run within the week asks Radar for no name, and writes the same names again.
    sim.entityServed.length = 0;
    expect((await runCli(['once', '--config', stack.writeConfig(CONFIG)], stack.env())).code).toBe(0);
    expect(sim.entityServed).toEqual([]);
    expect(await labels()).toEqual(names);
  });

  const faults: [string, EntityFault][] = [
    ['500', { kind: 'status', status: 500, code: 2000 }],
    ['403', { kind: 'status', status: 403, code: 10000, message: 'Authentication error' }],
    ['a hang', { kind: 'hang' }],
    ['garbage', { kind: 'garbage' }],
    ['an answer of another shape', { kind: 'malformed' }],
  ];

  test.each(faults)(
    'entity endpoints answering %s leave the traffic and checkpoints exactly as with names',
    async (name, fault) => {
      const config = stack.writeConfig(CONFIG);
      expect((await runCli(['once', '--config', config], stack.env())).code).toBe(0);
      const healthy = await actualTraffic(influx, stack.db);

      sim.entityFault = fault;
      const db = `${stack.db}_fault`;
      const stateDir = join(stack.dir, `state${stack.case}-fault`);
      const result = await runCli(
        ['once', '--config', config],
        stack.env({ INFLUX_DATABASE: db, STATE_DIR: stateDir }),
      );
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/names of group keys not all refreshed/);
      if (name === '403') expect(result.stderr).toMatch(/Account › Radar › Read/);
      expect(sim.entityServed.filter((e) => e.fault === fault.kind).length).toBe(3);
      const faulty = await actualTraffic(influx, db);
      expect(faulty.rows).toBe(healthy.rows);
      expect([...faulty.points]).toEqual([...healthy.points]);
      const checkpoints = (dir: string): unknown => {
        const { queries } = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as {
          queries: Record<string, { checkpointMs: number; finalFromMs: number }>;
        };
        return Object.entries(queries)
          .map(([id, q]) => [id, q.checkpointMs, q.finalFromMs])
          .sort();
      };
      expect(checkpoints(stateDir)).toEqual(checkpoints(stack.stateDir));
      expect(await labels(db)).toEqual(new Map());

      // Once the endpoints answer again, the next run brings the names.
      sim.entityFault = undefined;
      expect(
        (await runCli(['once', '--config', config], stack.env({ INFLUX_DATABASE: db, STATE_DIR: stateDir })))
          .code,
      ).toBe(0);
      expect(await labels(db)).toEqual(await labels());
    },
  );
});
