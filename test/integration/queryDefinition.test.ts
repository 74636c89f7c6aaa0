import { describe, expect, test } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../harness/cli.js';
import { useStack } from '../harness/stack.js';

const job = (name: string, extra: string) => `
radar: { retryDelayMs: 20 }
jobs:
  - name: ${name}
    dimensions: [LOCATION]
    intervals: [1h]
    lookback: 5d
${extra}`;
const US_DE = '    filters: { location: [US, DE] }\n';
const FR_JP = '    filters: { location: [FR, JP] }\n';

describe('a query is what it asks Radar: a changed definition never continues silently', () => {
  const stack = useStack('definition', { fixedHorizon: true });
  const { influx, sim } = stack;
  const buckets = async (key: string) =>
    (
      await influx.query(
        `SELECT count(value) FROM radar_netflows WHERE job = 'j' AND group_key = '${key}'`,
        stack.db,
      )
    )[0]?.count;

  test('changed filters: refused at start (exit 2) naming the change, validate says so; reset starts again from the look-back', async () => {
    const before = stack.writeConfig(job('j', US_DE), 'before.yaml');
    expect((await runCli(['once', '--config', before], stack.env())).code).toBe(0);
    const usBuckets = await buckets('US');
    expect(usBuckets).toBeGreaterThan(100);

    const after = stack.writeConfig(job('j', FR_JP), 'after.yaml');
    sim.served.length = 0;
    const refused = await runCli(['once', '--config', after], stack.env());
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('j/LOCATION/1h: series "j" filters {location US,DE} → {location FR,JP}');
    expect(refused.stderr).toMatch(
      /give the job a new name: new queries, each starting 5d \(its look-back\) ago/,
    );
    expect(refused.stderr).toMatch(/radar-netflows reset --job "j"/);
    expect(sim.served).toHaveLength(0);
    const validate = await runCli(['validate', '--config', after], stack.env());
    expect(validate.code).toBe(2);
    expect(validate.stderr).toContain('j/LOCATION/1h: series "j" filters');
    const plan = await runCli(['plan', '--config', after], stack.env());
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/^warning: the definition of a query changed/m);

    const reset = await runCli(['reset', '--config', after, '--job', 'j'], stack.env());
    expect(reset.code).toBe(0);
    expect(reset.stdout).toMatch(
      /^reset j\/LOCATION\/1h: checkpoint .* forgotten; its next run starts from its look-back/m,
    );
    expect(reset.stdout).toMatch(/DELETE FROM radar_netflows WHERE "job" = 'j'/);
    expect((await runCli(['once', '--config', after], stack.env())).code).toBe(0);
    // As many FR buckets as the US ones of the first run: the look-back was not skipped.
    expect(await buckets('FR')).toBe(usBuckets);
  });

  test('a changed normalization is refused too; a new job name is a new query, with its own look-back', async () => {
    const before = stack.writeConfig(job('j', ''), 'before.yaml');
    expect((await runCli(['once', '--config', before], stack.env())).code).toBe(0);
    const minMax = stack.writeConfig(job('j', '    normalization: MIN0_MAX\n'), 'minmax.yaml');
    const refused = await runCli(['once', '--config', minMax], stack.env());
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('j/LOCATION/1h: normalization PERCENTAGE → MIN0_MAX');
    const renamed = stack.writeConfig(job('j-minmax', '    normalization: MIN0_MAX\n'), 'renamed.yaml');
    expect((await runCli(['once', '--config', renamed], stack.env())).code).toBe(0);
  });

  test('state written before definitions were kept is adopted as it is, then recorded', async () => {
    const config = stack.writeConfig(job('j', US_DE));
    expect((await runCli(['once', '--config', config], stack.env())).code).toBe(0);
    const file = join(stack.stateDir, 'state.json');
    const state = JSON.parse(readFileSync(file, 'utf8')) as {
      queries: Record<string, { definition?: unknown }>;
    };
    expect(state.queries['j/LOCATION/1h']!.definition).toEqual({
      series: [{ name: 'j', filters: { location: ['US', 'DE'] } }],
      normalization: 'PERCENTAGE',
      limitPerGroup: null,
    });
    delete state.queries['j/LOCATION/1h']!.definition;
    writeFileSync(file, JSON.stringify(state));
    expect((await runCli(['once', '--config', config], stack.env())).code).toBe(0);
    const again = JSON.parse(readFileSync(file, 'utf8')) as {
      queries: Record<string, { definition?: unknown }>;
    };
    expect(again.queries['j/LOCATION/1h']!.definition).toBeDefined();
  });
});
