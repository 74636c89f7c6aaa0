import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../harness/cli.js';
import { actualTraffic, compare, expectedFromServed } from '../harness/groundTruth.js';
import { useStack } from '../harness/stack.js';

const JOB = 'we,ird "job" = ü\\x';
const WRITABLE_KEYS = [
  'a,b',
  'sp ace',
  'eq=ual',
  'quo"te',
  "apo'strophe",
  'back\\slash',
  'uni🙂é',
  'x'.repeat(5000),
];
const UNWRITABLE_KEY = 'ends with a backslash\\';

describe('hostile names from the config and from the API', () => {
  const stack = useStack('hostile', { fixedHorizon: true });
  const { influx, sim } = stack;

  test('are written escaped exactly, or kept in the dead letters with the reason', async () => {
    sim.inject({ kind: 'hostile-keys', keys: [...WRITABLE_KEYS, UNWRITABLE_KEY] });
    const configFile = stack.writeConfig(
      `jobs:\n  - name: '${JOB}'\n    dimensions: [AS]\n    intervals: [1d]\n    limitPerGroup: 8\n    lookback: 7d\n`,
    );
    const result = await runCli(['once', '--config', configFile], stack.env());
    // Refused points are kept, and the command says so: exit 1, the reason on stderr.
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /error: \d+ points cannot be stored \(tag group_key .* has a backslash before "the end".*\); kept in the dead letters/,
    );
    const messages = result.stderr
      .trim()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => (JSON.parse(line) as { message: string }).message);
    expect(messages).toContainEqual(
      expect.stringMatching(
        /^\d+ points cannot be written as line protocol \(kept in .*dead-letters\.jsonl\): tag group_key/,
      ),
    );
    expect(messages.join('\n')).toContain(
      `${JSON.stringify(UNWRITABLE_KEY)} has a backslash before "the end"`,
    );

    const jobs = await influx.query('SHOW TAG VALUES FROM radar_netflows WITH KEY = "job"', stack.db);
    expect(jobs.map((r) => r.value)).toEqual([JOB]);
    const keys = (
      await influx.query('SHOW TAG VALUES FROM radar_netflows WITH KEY = "group_key"', stack.db)
    ).map((r) => r.value);
    expect(keys.sort()).toEqual([...WRITABLE_KEYS].sort());

    const expected = expectedFromServed(sim.served, () => JOB);
    const refused = [...expected.keys()].filter((k) => k.includes(UNWRITABLE_KEY));
    expect(refused.length).toBeGreaterThan(0);
    for (const key of refused) expected.delete(key);
    expect(compare(expected, await actualTraffic(influx, stack.db))).toEqual({
      lost: [],
      unexpected: [],
      wrong: [],
      duplicates: 0,
    });

    const letters = readFileSync(join(stack.stateDir, 'dead-letters.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as { reason: string; point: { measurement: string; tags: Record<string, string> } },
      );
    // The group's traffic only: a group that cannot be stored gets no radar_names label either.
    expect(letters.filter((l) => l.point.measurement === 'radar_netflows')).toHaveLength(refused.length);
    expect(letters).toHaveLength(refused.length);
    expect(
      letters.every((l) => l.point.tags.group_key === UNWRITABLE_KEY && /backslash/.test(l.reason)),
    ).toBe(true);
  });
});
