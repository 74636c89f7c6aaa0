import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../harness/cli.js';
import { actualTraffic, compare, expectedFromServed } from '../harness/groundTruth.js';
import { Influxd } from '../harness/influxd.js';
import { RadarSimulator } from '../harness/radarSimulator.js';

const JOB = 'we,ird "job" = ü\\x';
const WRITABLE_KEYS = ['a,b', 'sp ace', 'eq=ual', 'quo"te', "apo'strophe", 'back\\slash', 'uni🙂é', 'x'.repeat(5000)];
const UNWRITABLE_KEY = 'ends with a backslash\\';

describe('hostile names from the config and from the API', () => {
  const influx = new Influxd();
  const sim = new RadarSimulator();
  const dir = mkdtempSync(join(tmpdir(), 'hostile-'));
  const configFile = join(dir, 'jobs.yaml');

  beforeAll(async () => {
    await Promise.all([influx.start(), sim.start()]);
    const horizon = Math.floor(Date.now() / 900_000) * 900_000;
    sim.dataUntilMs = () => horizon;
    writeFileSync(configFile, `jobs:\n  - name: '${JOB}'\n    dimensions: [AS]\n    intervals: [1d]\n    limitPerGroup: 8\n    lookback: 7d\n`);
  });
  afterAll(async () => {
    await Promise.all([influx.destroy(), sim.stop()]);
  });

  test('are written escaped exactly, or kept in the dead letters with the reason', async () => {
    sim.inject({ kind: 'hostile-keys', keys: [...WRITABLE_KEYS, UNWRITABLE_KEY] });
    const stateDir = join(dir, 'state');
    const result = await runCli(['once', '--config', configFile], { CLOUDFLARE_API_TOKEN: sim.token, RADAR_API_URL: sim.url, INFLUX_URL: influx.url, INFLUX_DATABASE: 'h', STATE_DIR: stateDir });
    expect(result.code).toBe(0);
    const messages = result.stderr.trim().split('\n').map((line) => (JSON.parse(line) as { message: string }).message);
    expect(messages).toContainEqual(expect.stringMatching(/^\d+ points cannot be written as line protocol \(kept in .*dead-letters\.jsonl\); first: tag group_key/));
    expect(messages.join('\n')).toContain(`${JSON.stringify(UNWRITABLE_KEY)} has a backslash before "the end"`);

    const jobs = await influx.query('SHOW TAG VALUES FROM radar_netflows WITH KEY = "job"', 'h');
    expect(jobs.map((r) => r.value)).toEqual([JOB]);
    const keys = (await influx.query('SHOW TAG VALUES FROM radar_netflows WITH KEY = "group_key"', 'h')).map((r) => r.value);
    expect(keys.sort()).toEqual([...WRITABLE_KEYS].sort());

    const expected = expectedFromServed(sim.served, () => JOB);
    const refused = [...expected.keys()].filter((k) => k.includes(UNWRITABLE_KEY));
    expect(refused.length).toBeGreaterThan(0);
    for (const key of refused) expected.delete(key);
    expect(compare(expected, await actualTraffic(influx, 'h'))).toEqual({ lost: [], unexpected: [], wrong: [], duplicates: 0 });

    const letters = readFileSync(join(stateDir, 'dead-letters.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { reason: string; point: { tags: Record<string, string> } });
    expect(letters).toHaveLength(refused.length);
    expect(letters.every((l) => l.point.tags.group_key === UNWRITABLE_KEY && /backslash/.test(l.reason))).toBe(true);
  });
});
