import { describe, expect, test } from '@jest/globals';
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskSpool } from '../../../../src/sink/influx/spool.js';

const dir = () => join(mkdtempSync(join(tmpdir(), 'spool-')), 'spool');

describe('DiskSpool', () => {
  test('hands back lines oldest segment first and forgets removed segments', () => {
    const spool = new DiskSpool(dir(), 20);
    expect(spool.isEmpty).toBe(true);
    spool.append(['a 1', 'b 2', 'c 3', 'd 4', 'e 5', 'f 6']);
    spool.append(['g 7']);
    expect(spool.bytes).toBe(28);
    const first = spool.oldest()!;
    expect(first.lines).toEqual(['a 1', 'b 2', 'c 3', 'd 4', 'e 5', 'f 6']);
    spool.remove(first.seq);
    const second = spool.oldest()!;
    expect(second.lines).toEqual(['g 7']);
    spool.remove(second.seq);
    expect(spool.isEmpty).toBe(true);
    expect(spool.oldest()).toBeUndefined();
  });

  test('a new process finds what an earlier one left, and appends after it', () => {
    const path = dir();
    new DiskSpool(path).append(['old 1']);
    const spool = new DiskSpool(path);
    spool.append(['new 2']);
    expect(spool.oldest()!.lines).toEqual(['old 1']);
    expect(readdirSync(path)).toHaveLength(2);
  });

  test('drops half a line left by kill -9 during an append', () => {
    const path = dir();
    new DiskSpool(path).append(['whole 1']);
    appendFileSync(join(path, readdirSync(path)[0]!), 'half a li');
    const spool = new DiskSpool(path);
    expect(spool.bytes).toBe(8);
    expect(spool.oldest()!.lines).toEqual(['whole 1']);
  });

  test('a segment deleted behind its back (another process, a full disk) is forgotten, not a crash', () => {
    const path = dir();
    const spool = new DiskSpool(path);
    spool.append(['gone 1']);
    for (const file of readdirSync(path)) rmSync(join(path, file));
    expect(() => spool.oldest()).not.toThrow();
    expect(spool.oldest()).toBeUndefined();
    expect(spool.isEmpty).toBe(true);
    spool.append(['next 2']);
    expect(spool.oldest()!.lines).toEqual(['next 2']);
  });
});
