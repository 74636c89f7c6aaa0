import { readdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { StorageError } from '../../errors.js';
import { appendDurablyAsync, makeDirectory } from '../../state/durableFile.js';
import { LineBatch } from './lineBatch.js';

const NEWLINE = Buffer.from('\n');

/** The oldest segment of the spool: its lines as a request body, and as strings when asked for. */
export interface SpoolSegment {
  seq: number;
  batch: LineBatch;
  readonly lines: readonly string[];
}

/** What waits in a spool directory, read without opening it (`status`, safe while `run` runs). */
export interface SpoolContents {
  bytes: number;
  segments: number;
  /** When the oldest segment with content was last written: how long points have waited at least. */
  oldestWrittenMs: number | undefined;
}

export function inspectSpool(dir: string): SpoolContents {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => /^segment-\d{12}\.lp$/.test(name));
  } catch {
    return { bytes: 0, segments: 0, oldestWrittenMs: undefined };
  }
  let bytes = 0;
  let segments = 0;
  let oldestWrittenMs: number | undefined;
  for (const name of names.sort()) {
    const stat = statSync(join(dir, name), { throwIfNoEntry: false });
    if (!stat || stat.size === 0) continue;
    bytes += stat.size;
    segments++;
    oldestWrittenMs ??= stat.mtimeMs;
  }
  return { bytes, segments, oldestWrittenMs };
}

/**
 * An append-only disk queue of line protocol: numbered segment files in one directory. Appends are
 * complete and fsynced before they resolve, or reject with a StorageError having kept nothing, so a
 * point handed to the spool survives kill -9 and a full disk never leaves half a batch. Segments are
 * replayed oldest first and deleted once InfluxDB took them all; replaying a segment twice (after a
 * crash) is harmless because a point's identity is its series and time.
 *
 * The disk work runs off the event loop (the service answers /healthz while a year's backfill
 * spools); appends, reads and deletions are made one at a time, in the order they were asked for, so
 * that a segment is never read while it is being appended to.
 */
export class DiskSpool {
  private readonly segments: number[];
  private activeBytes = 0;
  private totalBytes = 0;
  /** The disk operation under way: the next one waits for it. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly dir: string,
    /** New appends start a new segment past this size, so that replay reads bounded chunks. */
    private readonly segmentBytes = 8 * 1024 * 1024,
  ) {
    try {
      makeDirectory(dir);
      this.segments = readdirSync(dir)
        .map((name) => /^segment-(\d{12})\.lp$/.exec(name)?.[1])
        .filter((seq): seq is string => seq !== undefined)
        .map(Number)
        .sort((a, b) => a - b);
      const last = this.segments.at(-1);
      if (last !== undefined) this.dropTornTail(last);
      for (const seq of this.segments) this.totalBytes += statSync(this.path(seq)).size;
    } catch (error) {
      throw new StorageError(`cannot open the spool ${dir}`, error);
    }
    // A segment left by an earlier process is closed: new appends never go after its last line.
    this.segments.push((this.segments.at(-1) ?? 0) + 1);
  }

  get isEmpty(): boolean {
    return this.totalBytes === 0;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /**
   * Keeps the batches' lines on disk, all of them, or rejects with a StorageError and keeps none. Their
   * bodies are written as they are (the bytes a write sends), with no string made per line: turning
   * a window's encoded body back into lines and joining them again cost ~5 ms of event loop per window
   * while InfluxDB was down, which /healthz waited behind.
   */
  append(batches: readonly LineBatch[]): Promise<void> {
    const parts = batches.filter((batch) => batch.count > 0);
    if (parts.length === 0) return Promise.resolve();
    return this.serial(() => this.appendNow(parts));
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const done = this.queue.then(work);
    this.queue = done.catch(() => undefined);
    return done;
  }

  private async appendNow(parts: readonly LineBatch[]): Promise<void> {
    if (this.activeBytes >= this.segmentBytes) this.seal();
    const bytes = Buffer.concat(parts.flatMap((part) => [part.body, NEWLINE]));
    const count = LineBatch.countOf(parts);
    const file = this.path(this.segments.at(-1)!);
    try {
      await appendDurablyAsync(file, bytes);
    } catch (error) {
      throw new StorageError(`cannot keep ${count} points in the spool ${file}`, error);
    }
    this.activeBytes += bytes.length;
    this.totalBytes += bytes.length;
  }

  /**
   * The oldest segment with content, sealing the active one if it is the only one left. A segment
   * that has gone missing holds nothing to replay: it is forgotten rather than failing the replay.
   */
  oldest(): Promise<SpoolSegment | undefined> {
    return this.serial(() => this.oldestNow());
  }

  private async oldestNow(): Promise<SpoolSegment | undefined> {
    while (!this.isEmpty) {
      while (this.segments.length > 1 && (await this.sizeOf(this.segments[0]!)) === 0)
        await this.forget(this.segments[0]!);
      if (this.segments.length === 1) this.seal();
      const seq = this.segments[0]!;
      let text: Buffer;
      try {
        text = await readFile(this.path(seq));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
          throw new StorageError(`cannot read the spool segment ${this.path(seq)}`, error);
        await this.forget(seq);
        continue;
      }
      const batch = LineBatch.fromText(text);
      return {
        seq,
        batch,
        get lines() {
          return batch.lines;
        },
      };
    }
    return undefined;
  }

  /** Deletes a replayed segment. */
  remove(seq: number): Promise<void> {
    return this.serial(() => this.removeNow(seq));
  }

  private async removeNow(seq: number): Promise<void> {
    try {
      await unlink(this.path(seq));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new StorageError(`cannot delete the replayed spool segment ${this.path(seq)}`, error);
    }
    await this.forget(seq);
  }

  /** Drops a segment from the books; the byte count is recomputed from what is on disk. */
  private async forget(seq: number): Promise<void> {
    this.segments.splice(this.segments.indexOf(seq), 1);
    let total = 0;
    for (const s of this.segments) total += await this.sizeOf(s);
    this.totalBytes = total;
    if (this.segments.length === 0) this.segments.push(seq + 1);
    if (this.segments.length === 1) this.activeBytes = this.totalBytes;
  }

  /**
   * kill -9 during an append can leave half a line at the end of the newest segment. Its append never
   * returned, so its window was not checkpointed and will be fetched again: the half line is dropped.
   */
  private dropTornTail(seq: number): void {
    const text = readFileSync(this.path(seq));
    if (text.length === 0 || text[text.length - 1] === 0x0a) return;
    truncateSync(this.path(seq), text.lastIndexOf(0x0a) + 1);
  }

  private seal(): void {
    this.segments.push(this.segments.at(-1)! + 1);
    this.activeBytes = 0;
  }

  private async sizeOf(seq: number): Promise<number> {
    try {
      return (await stat(this.path(seq))).size;
    } catch {
      return 0;
    }
  }

  private path(seq: number): string {
    return join(this.dir, `segment-${String(seq).padStart(12, '0')}.lp`);
  }
}
