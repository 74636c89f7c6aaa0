import { mkdirSync, readdirSync, readFileSync, statSync, truncateSync, unlinkSync } from 'node:fs';
import { appendDurably } from '../state/durableFile.js';
import { join } from 'node:path';

/**
 * An append-only disk queue of line protocol: numbered segment files in one directory. Appends are
 * fsynced before they return, so a point handed to the spool survives kill -9. Segments are replayed
 * oldest first and deleted once InfluxDB took them all; replaying a segment twice (after a crash) is
 * harmless because a point's identity is its series and time.
 */
export class DiskSpool {
  private readonly segments: number[];
  private activeBytes = 0;
  private totalBytes = 0;

  constructor(
    readonly dir: string,
    /** New appends start a new segment past this size, so that replay reads bounded chunks. */
    private readonly segmentBytes = 8 * 1024 * 1024,
  ) {
    mkdirSync(dir, { recursive: true });
    this.segments = readdirSync(dir)
      .map((name) => /^segment-(\d{12})\.lp$/.exec(name)?.[1])
      .filter((seq): seq is string => seq !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    const last = this.segments.at(-1);
    if (last !== undefined) this.dropTornTail(last);
    for (const seq of this.segments) this.totalBytes += statSync(this.path(seq)).size;
    // A segment left by an earlier process is closed: new appends never go after its last line.
    this.segments.push((this.segments.at(-1) ?? 0) + 1);
  }

  get isEmpty(): boolean {
    return this.totalBytes === 0;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  append(lines: readonly string[]): void {
    if (lines.length === 0) return;
    if (this.activeBytes >= this.segmentBytes) this.seal();
    const text = lines.join('\n') + '\n';
    const file = this.path(this.segments.at(-1)!);
    appendDurably(file, text);
    const size = Buffer.byteLength(text);
    this.activeBytes += size;
    this.totalBytes += size;
  }

  /** The oldest segment with content, sealing the active one if it is the only one left. */
  oldest(): { seq: number; lines: string[] } | undefined {
    if (this.isEmpty) return undefined;
    while (this.segments.length > 1 && this.sizeOf(this.segments[0]!) === 0) this.remove(this.segments[0]!);
    if (this.segments.length === 1) this.seal();
    const seq = this.segments[0]!;
    const text = readFileSync(this.path(seq), 'utf8');
    return { seq, lines: text.split('\n').filter((line) => line !== '') };
  }

  /** Deletes a replayed segment. */
  remove(seq: number): void {
    const size = this.sizeOf(seq);
    try {
      unlinkSync(this.path(seq));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    this.totalBytes -= size;
    this.segments.splice(this.segments.indexOf(seq), 1);
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

  private sizeOf(seq: number): number {
    try {
      return statSync(this.path(seq)).size;
    } catch {
      return 0;
    }
  }

  private path(seq: number): string {
    return join(this.dir, `segment-${String(seq).padStart(12, '0')}.lp`);
  }
}
