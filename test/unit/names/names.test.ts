import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { NAME_MISS_RETRY_MS, NAME_REFRESH_MS, NameCatalog } from '../../../src/names/catalog.js';
import { trafficDashboard } from '../../../src/grafana/trafficDashboard.js';
import { displayText, namePoints, pickerOption } from '../../../src/names/groupNames.js';
import { entityLists } from '../../../src/radar/entityAnswers.js';
import { toLine } from '../../../src/sink/influx/lineProtocol.js';

const NOW = Date.parse('2026-12-01T00:00:00Z');
const name = { name: 'Cloudflare', label: 'Cloudflare (AS13335)', country: 'US', fetchedMs: NOW };

describe('the names catalog', () => {
  test('a name is due when never fetched, a week old, or dated in the future; a miss a day later', () => {
    const { catalog } = NameCatalog.open(undefined);
    expect(catalog.isDue('AS', '13335', NOW)).toBe(true);
    catalog.set('AS', '13335', name);
    expect(catalog.isDue('AS', '13335', NOW + NAME_REFRESH_MS - 1)).toBe(false);
    expect(catalog.isDue('AS', '13335', NOW + NAME_REFRESH_MS)).toBe(true);
    expect(catalog.isDue('AS', '13335', NOW - 2 * 86_400_000)).toBe(true); // the clock went back
    catalog.miss('AS', '99', NOW);
    expect(catalog.isDue('AS', '99', NOW + NAME_MISS_RETRY_MS - 1)).toBe(false);
    expect(catalog.isDue('AS', '99', NOW + NAME_MISS_RETRY_MS)).toBe(true);
  });

  test('kept in the state directory; a damaged file is set aside with a reason, never a failure', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'names-'));
    const { catalog } = NameCatalog.open(dir);
    catalog.set('AS', '13335', name);
    await catalog.save();
    expect(NameCatalog.open(dir).catalog.get('AS', '13335')).toEqual(name);
    writeFileSync(join(dir, 'names.json'), '{"version": 1, "names": ');
    const damaged = NameCatalog.open(dir);
    expect(damaged.problem).toMatch(/names\.json cannot be read .*fetched again/);
    expect(damaged.catalog.size).toBe(0);
    expect(readFileSync(join(dir, 'names.json'), 'utf8')).toContain('"names": ');
  });

  test('radar_names points: one per key seen, a name at the time it was fetched, a key without one its id as label at the time first seen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'names-'));
    const { catalog } = NameCatalog.open(dir);
    catalog.set('AS', '13335', name);
    const seen = new Map([
      ['AS', new Set(['13335', '99'])],
      ['PRODUCT', new Set(['HTTP', 'other'])],
    ]);
    const points = namePoints(seen, catalog, NOW + 5);
    const idOnly = (dimension: string, key: string, label: string) => ({
      measurement: 'radar_names',
      tags: { dimension, group_key: key },
      fields: { label, option: `${label}|${key}` },
      timeMs: NOW + 5,
    });
    expect(points).toEqual([
      {
        measurement: 'radar_names',
        tags: { dimension: 'AS', group_key: '13335' },
        fields: {
          name: 'Cloudflare',
          label: 'Cloudflare (AS13335)',
          option: 'Cloudflare (AS13335)|13335',
          country: 'US',
        },
        timeMs: NOW,
      },
      idOnly('AS', '99', 'AS99'),
      idOnly('PRODUCT', 'HTTP', 'HTTP'),
      idOnly('PRODUCT', 'other', 'other'),
    ]);
    // Later, and after a restart, the same points: rewriting them adds nothing to InfluxDB.
    await catalog.save();
    const reopened = NameCatalog.open(dir).catalog;
    expect(namePoints(seen, reopened, NOW + 86_400_000)).toEqual(points);
  });
});

describe('names reach line protocol clean', () => {
  test('a country "U\\nS" (any string field): one line, the line break a space, whatever the catalog holds', () => {
    const { catalog } = NameCatalog.open(undefined);
    catalog.set('AS', '64500', { ...name, label: 'X (AS64500)', country: 'U\nS', countryName: 'Uni\r\nted' });
    const [point] = namePoints(new Map([['AS', new Set(['64500'])]]), catalog, NOW);
    const line = toLine(point!);
    expect(line).not.toMatch(/[\n\r]/);
    expect(line).toContain('country="U S"');
    expect(line).toContain('country_name="Uni ted"');
  });
});

describe('the Group picker option', () => {
  test("the dashboard's regex splits it into the label shown and the id sent, a name holding a | too; an id holding one gets none", () => {
    const variables = (trafficDashboard() as { templating: { list: { name: string; regex?: string }[] } })
      .templating.list;
    const source = /^\/(.*)\/$/.exec(variables.find((v) => v.name === 'group_key')!.regex!)![1]!;
    const split = (option: string) => new RegExp(source).exec(option)?.groups;
    for (const [label, key] of [
      ['Cloudflare (AS13335)', '13335'],
      ['Foo | Telecom (AS64500)', '64500'],
      ['California, US', '5332921'],
      ['other', 'other'],
    ] as const)
      expect(split(pickerOption(label, key).option!)).toEqual({ text: label, value: key });
    expect(pickerOption('a|b', 'a|b')).toEqual({});
  });
});

describe('names as display text', () => {
  test('control characters become one space, lone surrogates U+FFFD; other scripts, quotes and commas stay', () => {
    expect(displayText(' Line\none\t\u0000two ')).toBe('Line one two');
    expect(displayText('a\uD800b')).toBe('a\uFFFDb');
    expect(displayText('東京都, "JP"')).toBe('東京都, "JP"');
    expect(displayText(undefined)).toBe('');
  });
});

describe("Radar's entity answers", () => {
  test('coordinates as numeric strings or numbers; ids as numbers or digits; a bad coordinate is refused', () => {
    const parsed = entityLists.geolocations.parse({
      geolocations: [
        {
          geoId: 5332921,
          name: 'California',
          type: 'ADM1',
          latitude: '37.25',
          longitude: -119.75,
          parent: null,
        },
      ],
    });
    expect(parsed.geolocations[0]).toMatchObject({ geoId: '5332921', latitude: 37.25, longitude: -119.75 });
    expect(entityLists.asns.parse({ asns: [{ asn: '13335', name: 'Cloudflare' }] }).asns[0]!.asn).toBe(
      '13335',
    );
    expect(
      entityLists.locations.safeParse({ locations: [{ alpha2: 'PT', name: 'Portugal', latitude: 'north' }] })
        .success,
    ).toBe(false);
  });
});
