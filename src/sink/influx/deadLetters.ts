import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { StorageError } from '../../errors.js';
import { appendDurably } from '../../state/durableFile.js';

/**
 * Points InfluxDB refuses for good (a field type conflict, a malformed line) with the server's reason,
 * one JSON object per line: `{"time":"…","reason":"…","line":"…"}` (or `"point":{…}` for a point
 * that line protocol cannot carry at all). Fix the cause, then replay them
 * with `jq -r .line dead-letters.jsonl | curl --data-binary @- …/write?db=…&precision=ms`.
 */
export class DeadLetters {
  count = 0;

  constructor(readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
  }

  add(lines: readonly string[], reason: string): void {
    this.append(
      lines.map((line) => ({ line })),
      reason,
    );
  }

  /** Points that could not even be written as line protocol (see escapeKey): kept as JSON. */
  addPoints(points: readonly unknown[], reason: string): void {
    this.append(
      points.map((point) => ({ point })),
      reason,
    );
  }

  private append(records: readonly object[], reason: string): void {
    const time = new Date().toISOString();
    try {
      appendDurably(
        this.file,
        records.map((record) => JSON.stringify({ time, reason, ...record })).join('\n') + '\n',
      );
    } catch (error) {
      throw new StorageError(`cannot keep ${records.length} refused points in ${this.file}`, error);
    }
    this.count += records.length;
  }
}
