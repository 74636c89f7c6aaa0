import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
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
      // On a fresh line: a record a crash cut short never swallows the next one.
      await appendDurablyAsync(this.file, Buffer.from(text), true);
    } catch (error) {
      throw new StorageError(`cannot keep ${records.length} refused points in ${this.file}`, error);
    }
  }
}

/** How `status` and `dead-letters` list the lines of the file that cannot be read (kept as they are). */
export const DAMAGED_REASON = 'damaged records (cut short by a crash; kept as they are, not replayable)';

/** A dead letter as kept: the refused line, or the point no line protocol could carry. */
export interface DeadLetter {
  time: string;
  reason: string;
  line?: string;
  point?: unknown;
}

/**
 * One line of the dead-letter file read back: its letters, and what could not be read (kept as it is).
 * A line that a kill -9 or a power cut cut short, to which an earlier release then appended the next
 * letter, holds the torn start and that whole letter: the letter is recovered, the torn start kept.
 */
export function readLetterLine(line: string): { letters: DeadLetter[]; damaged?: string } {
  if (line.trim() === '') return { letters: [] };
  const letter = parseLetter(line);
  if (letter) return { letters: [letter] };
  const glued = line.lastIndexOf('{"time":');
  const recovered = glued > 0 ? parseLetter(line.slice(glued)) : undefined;
  return recovered ? { letters: [recovered], damaged: line.slice(0, glued) } : { letters: [], damaged: line };
}

function parseLetter(text: string): DeadLetter | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<DeadLetter>;
    return typeof parsed === 'object' && parsed !== null && typeof parsed.reason === 'string'
      ? (parsed as DeadLetter)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Calls `onLine` for every line of a file, read 1 MiB at a time: a dead-letter file may hold millions
 * of letters, more than one string can (V8's limit is about 512 MB). Nothing when there is no file.
 */
export function forEachLineSync(file: string, onLine: (line: string) => void): void {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    const chunk = Buffer.alloc(1 << 20);
    const decoder = new StringDecoder('utf8');
    let rest = '';
    for (let read; (read = readSync(fd, chunk, 0, chunk.length, null)) > 0;) {
      const lines = (rest + decoder.write(chunk.subarray(0, read))).split('\n');
      rest = lines.pop()!;
      for (const line of lines) onLine(line);
    }
    rest += decoder.end();
    if (rest !== '') onLine(rest);
  } finally {
    closeSync(fd);
  }
}

/**
 * The dead letters by reason: how many, and the first and last time one came. One cause refused over
 * several batches is one reason (the batch's `dropped=N` is left out).
 */
export function summarizeDeadLetters(
  file: string,
): { reason: string; points: number; first: string; last: string; replayable: boolean }[] {
  const byReason = new Map<string, { points: number; first: string; last: string; replayable: boolean }>();
  const add = (letter: DeadLetter): void => {
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
  };
  let damaged = 0;
  forEachLineSync(file, (line) => {
    const read = readLetterLine(line);
    read.letters.forEach(add);
    if (read.damaged !== undefined) damaged++;
  });
  const summary = [...byReason].map(([reason, entry]) => ({ reason, ...entry }));
  if (damaged > 0)
    summary.push({ reason: DAMAGED_REASON, points: damaged, first: '-', last: '-', replayable: false });
  return summary;
}
