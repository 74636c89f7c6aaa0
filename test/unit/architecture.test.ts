import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

/** The layers of src/README.md, bottom first: a file may import from its own layer or a lower one. */
const LAYERS: readonly (readonly string[])[] = [
  ['model', 'util', 'errors.ts', 'log.ts'],
  ['windows'],
  ['failures'],
  ['radar', 'flatten', 'sink', 'state'],
  ['config', 'pipeline', 'names'],
  ['service'],
  ['app'],
  ['cli', 'grafana'],
];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** src-relative path (without .ts) → src-relative paths it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of filesUnder(SRC)) {
    const from = relative(SRC, file).replace(/\.ts$/, '');
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/^(?:import|export)[^;]*?from '(\.[^']+)'/gms)].map((m) =>
      normalize(join(dirname(from), m[1]!)).replace(/\.js$/, ''),
    );
    graph.set(from, targets);
  }
  return graph;
}

function layerOf(path: string): number {
  const top = path.includes('/') ? path.split('/')[0]! : `${path}.ts`;
  const layer = LAYERS.findIndex((names) => names.includes(top));
  if (layer < 0) throw new Error(`${path} is in no layer: add "${top}" to LAYERS and src/README.md`);
  return layer;
}

describe('architecture', () => {
  const graph = importGraph();

  test('every import points to the same layer or a lower one', () => {
    const upward = [...graph].flatMap(([from, targets]) =>
      targets.filter((to) => layerOf(to) > layerOf(from)).map((to) => `${from} -> ${to}`),
    );
    expect(upward).toEqual([]);
  });

  test('model imports nothing from the project but model', () => {
    const outside = [...graph]
      .filter(([from]) => from.startsWith('model/'))
      .flatMap(([from, targets]) =>
        targets.filter((to) => !to.startsWith('model/')).map((to) => `${from} -> ${to}`),
      );
    expect(outside).toEqual([]);
  });

  test('the commands and the service know the sink by its seam only: nothing from sink/influx/', () => {
    const reaching = [...graph]
      .filter(([from]) => from.startsWith('cli/') || from.startsWith('service/'))
      .flatMap(([from, targets]) =>
        targets.filter((to) => to.startsWith('sink/influx/')).map((to) => `${from} -> ${to}`),
      );
    expect(reaching).toEqual([]);
  });

  test('sink/influx/ has one door: from outside it, only its index is imported', () => {
    const reaching = [...graph]
      .filter(([from]) => !from.startsWith('sink/influx/'))
      .flatMap(([from, targets]) =>
        targets
          .filter((to) => to.startsWith('sink/influx/') && to !== 'sink/influx/index')
          .map((to) => `${from} -> ${to}`),
      );
    expect(reaching).toEqual([]);
  });

  test('the import graph has no cycle', () => {
    const state = new Map<string, 'visiting' | 'done'>();
    const cycles: string[] = [];
    const visit = (node: string, path: string[]): void => {
      if (state.get(node) === 'done') return;
      if (state.get(node) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(node)), node].join(' -> '));
        return;
      }
      state.set(node, 'visiting');
      for (const next of graph.get(node) ?? []) visit(next, [...path, node]);
      state.set(node, 'done');
    };
    for (const node of graph.keys()) visit(node, []);
    expect(cycles).toEqual([]);
  });
});
