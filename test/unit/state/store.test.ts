import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateError, StateStore } from '../../../src/state/store.js';
import type { QueryDefinition } from '../../../src/model/query.js';

const DEFINITION: QueryDefinition = {
  series: [{ name: 'a', filters: {} }],
  normalization: 'PERCENTAGE',
  limitPerGroup: null,
};
const fresh = () => mkdtempSync(join(tmpdir(), 'state-'));

describe('StateStore', () => {
  test('keeps checkpoints and backfill cursors across reopening, leaving no temp files', async () => {
    const dir = fresh();
    const store = StateStore.open(dir);
    await store.setQuery('a/AS/1h', { finalFromMs: 0, checkpointMs: 100 }, DEFINITION);
    await store.setBackfillCursor('a/AS/1h', { fromMs: 0, nextMs: 50, finalUntilMs: 0, refetch: false });
    const again = StateStore.open(dir);
    expect(again.query('a/AS/1h')).toEqual({ finalFromMs: 0, checkpointMs: 100, definition: DEFINITION });
    expect(again.backfillCursor('a/AS/1h')).toEqual({
      fromMs: 0,
      nextMs: 50,
      finalUntilMs: 0,
      refetch: false,
    });
    await again.finishBackfill('a/AS/1h');
    expect(StateStore.open(dir).backfillCursor('a/AS/1h')).toBeUndefined();
    expect(readdirSync(dir).filter((f) => f !== 'lock')).toEqual(['state.json']);
    expect(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).version).toBe(1);
  });

  test('a read-only store (--dry-run) reads but never writes', async () => {
    const dir = fresh();
    const writer = StateStore.open(dir);
    await writer.setQuery('q', { finalFromMs: 1, checkpointMs: 2 }, DEFINITION);
    const readOnly = StateStore.openReadOnly(dir);
    await readOnly.setQuery('q', { finalFromMs: 5, checkpointMs: 6 }, DEFINITION);
    expect(StateStore.open(dir).query('q')).toEqual({
      finalFromMs: 1,
      checkpointMs: 2,
      definition: DEFINITION,
    });
    expect(() => StateStore.openReadOnly(join(dir, 'missing'))).not.toThrow();
  });

  test('changes made while a write is under way share the next write, and all are on disk when they resolve', async () => {
    const dir = fresh();
    const store = StateStore.open(dir);
    const saves = Array.from({ length: 20 }, (_, i) =>
      store.setQuery(`q${i}`, { finalFromMs: 0, checkpointMs: i }, DEFINITION),
    );
    expect(new Set(saves).size).toBeLessThanOrEqual(2);
    await Promise.all(saves);
    expect(StateStore.openReadOnly(dir).query('q19')).toEqual({
      finalFromMs: 0,
      checkpointMs: 19,
      definition: DEFINITION,
    });
  });

  test('refuses a state file it cannot read, with what to do', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'state.json'), '{"version": 1, "queries": {');
    expect(() => StateStore.open(dir)).toThrow(/is not valid JSON; move it away to start over/);
    writeFileSync(join(dir, 'state.json'), '{"version": 7}');
    expect(() => StateStore.open(dir)).toThrow(StateError);
    expect(() => StateStore.open(dir)).toThrow(/state version 7; this release reads version 1/);
  });

  test('refuses a directory it cannot create', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'file'), '');
    expect(() => StateStore.open(join(dir, 'file', 'sub'))).toThrow(
      /cannot be used: ENOTDIR \(a part of the path is a file, not a directory\)/,
    );
  });
});
