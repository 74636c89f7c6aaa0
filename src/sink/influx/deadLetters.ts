import { readFileSync } from 'node:fs';
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

/** A dead letter as kept: the refused line, or the point no line protocol could carry. */
export interface DeadLetter {
  time: string;
  reason: string;
  line?: string;
  point?: unknown;
}

/** The dead letters of a file, in order (none when there is no file); a damaged line is skipped. */
export function readDeadLetters(file: string): DeadLetter[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').flatMap((line) => {
    try {
      const parsed = JSON.parse(line) as Partial<DeadLetter>;
      return typeof parsed.reason === 'string' ? [parsed as DeadLetter] : [];
    } catch {
      return [];
    }
  });
}

/**
 * The dead letters by reason: how many, and the first and last time one came. One cause refused over
 * several batches is one reason (the batch's `dropped=N` is left out).
 */
export function summarizeDeadLetters(
  letters: readonly DeadLetter[],
): { reason: string; points: number; first: string; last: string; replayable: boolean }[] {
  const byReason = new Map<string, { points: number; first: string; last: string; replayable: boolean }>();
  for (const letter of letters) {
    const reason = letter.reason.replace(/ dropped=\d+/, '');
    const entry = byReason.get(reason);
    if (entry) {
      entry.points++;
      entry.last = letter.time;
    } else
      byReason.set(reason, {
        points: 1,
        first: letter.time,
        last: letter.time,
        replayable: letter.line !== undefined,
      });
  }
  return [...byReason].map(([reason, entry]) => ({ reason, ...entry }));
}
