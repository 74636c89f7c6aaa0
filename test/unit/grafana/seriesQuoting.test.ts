import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../../harness/cli.js';

/** Every InfluxQL query string in a JSON or YAML value (a panel's `query`, an alert rule's model's `query`). */
function queriesIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(queriesIn);
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([key, v]) =>
      key === 'query' && typeof v === 'string' ? [v] : queriesIn(v),
    );
  return [];
}

/** `series` outside double quotes, as a word of InfluxQL (not a `$series` variable, a `.series` label). */
const BARE_SERIES = /(?<!["$\w.-])series(?![\w"])/;

describe('the tag `series` is an InfluxQL keyword: every shipped query quotes it', () => {
  const dashboards = readdirSync(join(ROOT, 'grafana', 'dashboards')).map((f) =>
    JSON.parse(readFileSync(join(ROOT, 'grafana', 'dashboards', f), 'utf8')),
  );
  const rules = parse(
    readFileSync(join(ROOT, 'grafana', 'provisioning', 'alerting', 'radar-netflows-rules.yaml'), 'utf8'),
  );

  test('dashboards and alert rules', () => {
    const queries = [...queriesIn(dashboards), ...queriesIn(rules)];
    expect(queries.length).toBeGreaterThan(20);
    expect(queries.some((q) => q.includes('"series"'))).toBe(true);
    expect(queries.filter((q) => BARE_SERIES.test(q))).toEqual([]);
  });

  test('the check finds a bare one', () => {
    expect(BARE_SERIES.test(`SELECT "value" FROM radar_netflows WHERE series = 'us'`)).toBe(true);
    expect(BARE_SERIES.test(`SELECT "value" FROM radar_netflows WHERE "series" =~ /^$series$/`)).toBe(false);
  });
});
