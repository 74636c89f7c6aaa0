import { dirname } from 'node:path';
import { StorageError } from '../../errors.js';
import { isoSeconds, type Clock } from '../../util/time.js';
import { appendDurablyAsync, makeDirectory } from '../../state/durableFile.js';

/**
 * Points refused for good, with the reason, one JSON object per line, appended durably (fsynced) off
 * the event loop: `{"time":"…","reason":"…","line":"…"}` for a line the database refused, or
 * `"point":{…}` for a point no line protocol can carry (its key is kept exactly, in JSON).
 * `radar-netflows dead-letters` lists and replays them.
 */
export class DeadLetters {
  constructor(
    readonly file: string,
    private readonly clock: Clock,
  ) {
    makeDirectory(dirname(file));
  }

  /** Lines the database refused. */
  addLines(lines: readonly string[], reason: string): Promise<void> {
    return this.append(
      lines.map((line) => ({ line })),
      reason,
    );
  }

  /** Points that could not even be written as line protocol (see unstorableReason). */
  addPoints(points: readonly unknown[], reason: string): Promise<void> {
    return this.append(
      points.map((point) => ({ point })),
      reason,
    );
  }

  private async append(records: readonly object[], reason: string): Promise<void> {
    if (records.length === 0) return;
    const time = isoSeconds(this.clock.nowMs());
    const text = records.map((record) => JSON.stringify({ time, reason, ...record })).join('\n') + '\n';
    try {
      await appendDurablyAsync(this.file, Buffer.from(text));
    } catch (error) {
      throw new StorageError(`cannot keep ${records.length} refused points in ${this.file}`, error);
    }
  }
}
