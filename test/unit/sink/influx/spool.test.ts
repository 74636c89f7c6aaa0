import { describe, expect, test } from '@jest/globals';
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LineBatch } from '../../../../src/sink/influx/lineBatch.js';
import { DiskSpool } from '../../../../src/sink/influx/spool.js';

const dir = () => join(mkdtempSync(join(tmpdir(), 'spool-')), 'spool');

describe('DiskSpool', () => {
  test('hands back lines oldest segment first and forgets removed segments', async () => {
    const spool = new DiskSpool(dir(), 20);
    expect(spool.isEmpty).toBe(true);
    await spool.append([LineBatch.of(['a 1', 'b 2', 'c 3', 'd 4', 'e 5', 'f 6'])]);
    await spool.append([LineBatch.of(['g 7'])]);
    expect(spool.bytes).toBe(28);
    const first = (await spool.oldest())!;
    expect(first.lines).toEqual(['a 1', 'b 2', 'c 3', 'd 4', 'e 5', 'f 6']);
    await spool.remove(first.seq);
    const second = (await spool.oldest())!;
    expect(second.lines).toEqual(['g 7']);
    await spool.remove(second.seq);
    expect(spool.isEmpty).toBe(true);
    expect(await spool.oldest()).toBeUndefined();
  });

  test('an append keeps the bodies as encoded, newline-ended, and never makes their lines as strings', async () => {
    const path = dir();
    const spool = new DiskSpool(path, 1000);
    const noStrings = () => {
      throw new Error('lines made');
    };
    const first = new LineBatch(Buffer.from('m,t=a v=1 1\nm,t=b v=2 2'), 2, noStrings);
    const second = new LineBatch(Buffer.from('n v=3 3'), 1, noStrings);
    await spool.append([first, new LineBatch(Buffer.alloc(0), 0, noStrings), second]);
    const segment = (await spool.oldest())!;
    expect(segment.batch.body.toString()).toBe('m,t=a v=1 1\nm,t=b v=2 2\nn v=3 3');
    expect(segment.batch.count).toBe(3);
    expect(spool.bytes).toBe(first.body.length + second.body.length + 2);
  });

  test("a segment comes back as the request body itself, the file's bytes, its lines counted (blank ones not), strings only when asked", async () => {
    const path = dir();
    const spool = new DiskSpool(path, 1000);
    await spool.append([LineBatch.of(['m,t=ä v=1 1', 'm,t=b v=2 2'])]);
    const file = join(path, readdirSync(path)[0]!);
    appendFileSync(file, '\nm,t=c v=3 3\n');
    const segment = (await spool.oldest())!;
    expect(segment.batch.count).toBe(3);
    expect(segment.batch.body.toString('utf8')).toBe('m,t=ä v=1 1\nm,t=b v=2 2\n\nm,t=c v=3 3');
    expect(segment.lines).toEqual(['m,t=ä v=1 1', 'm,t=b v=2 2', 'm,t=c v=3 3']);
  });

  test('appends asked for together are made one after the other, each whole', async () => {
    const spool = new DiskSpool(dir(), 10);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => spool.append([LineBatch.of([`line ${i}`, `more ${i}`])])),
    );
    const lines: string[] = [];
    for (let segment = await spool.oldest(); segment; segment = await spool.oldest()) {
      lines.push(...segment.lines);
      await spool.remove(segment.seq);
    }
    expect(lines).toEqual(Array.from({ length: 20 }, (_, i) => [`line ${i}`, `more ${i}`]).flat());
  });

  test('a new process finds what an earlier one left, and appends after it', async () => {
    const path = dir();
    await new DiskSpool(path).append([LineBatch.of(['old 1'])]);
    const spool = new DiskSpool(path);
    await spool.append([LineBatch.of(['new 2'])]);
    expect((await spool.oldest())!.lines).toEqual(['old 1']);
    expect(readdirSync(path)).toHaveLength(2);
  });

  test('drops half a line left by kill -9 during an append', async () => {
    const path = dir();
    await new DiskSpool(path).append([LineBatch.of(['whole 1'])]);
    appendFileSync(join(path, readdirSync(path)[0]!), 'half a li');
    const spool = new DiskSpool(path);
    expect(spool.bytes).toBe(8);
    expect((await spool.oldest())!.lines).toEqual(['whole 1']);
  });

  test('a segment deleted behind its back (another process, a full disk) is forgotten, not a crash', async () => {
    const path = dir();
    const spool = new DiskSpool(path);
    await spool.append([LineBatch.of(['gone 1'])]);
    for (const file of readdirSync(path)) rmSync(join(path, file));
    await expect(spool.oldest()).resolves.toBeUndefined();
    expect(await spool.oldest()).toBeUndefined();
    expect(spool.isEmpty).toBe(true);
    await spool.append([LineBatch.of(['next 2'])]);
    expect((await spool.oldest())!.lines).toEqual(['next 2']);
  });
});
