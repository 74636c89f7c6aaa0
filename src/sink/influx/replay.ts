import type { InfluxSettings } from '../../model/settings.js';
import { writeFileAtomic } from '../../state/durableFile.js';
import { batches } from '../sink.js';
import { LazyWriter } from './connect.js';
import { readDeadLetters, type DeadLetter } from './deadLetters.js';
import { LineBatch } from './lineBatch.js';
import { readLine } from './lineReader.js';
import { influxStateFiles } from './open.js';
import { settle } from './settle.js';

export interface ReplayReport {
  /** Lines InfluxDB took: removed from the dead letters. */
  replayed: number;
  /** Lines InfluxDB refused again: kept, with its new reason. */
  refusedAgain: number;
  /** Lines InfluxDB could not take now (down): kept as they were. */
  deferred: number;
  /** Dead letters of the chosen reason that are points no line protocol can carry: kept. */
  notReplayable: number;
  /** Dead letters not chosen (another reason). */
  untouched: number;
  /**
   * Lines of a group that its window's newer answer no longer names: not written (that would bring a
   * removed group back), removed from the dead letters.
   */
  superseded: number;
}

/** Whether a refused line (its measurement, tags and time in ms) is of a group since removed from its window. */
export type Superseded = (measurement: string, tags: ReadonlyMap<string, string>, timeMs: number) => boolean;

/**
 * Writes the dead letters (those whose reason contains `reason`, or all) to InfluxDB again, once their
 * cause is fixed (a measurement dropped after a field type conflict, a retention policy extended), and
 * keeps in the file only what is still not taken: a line InfluxDB takes is removed, one it refuses
 * again stays with the new reason. Writing a line InfluxDB already holds rewrites the same point, so
 * nothing is duplicated. Points no line protocol can carry (see unstorableReason) stay as they are. The
 * file is rewritten atomically; the caller holds the state directory's lock.
 */
export async function replayDeadLetters(
  settings: InfluxSettings,
  stateDir: string,
  reason: string | undefined,
  nowIso: string,
  superseded: Superseded = () => false,
): Promise<ReplayReport> {
  const { deadLetterFile } = influxStateFiles(stateDir);
  const all = readDeadLetters(deadLetterFile);
  const chosen = (letter: DeadLetter) => reason === undefined || letter.reason.includes(reason);
  const isSuperseded = (letter: DeadLetter): boolean => {
    const read = letter.line === undefined ? undefined : readLine(letter.line);
    return read !== undefined && superseded(read.measurement, read.tags, Number(read.time));
  };
  const dropped = all.filter((l) => chosen(l) && isSuperseded(l));
  const letters = all.filter((l) => !dropped.includes(l));
  const lines = letters.filter((l) => chosen(l) && l.line !== undefined).map((l) => l.line!);
  const report: ReplayReport = {
    replayed: 0,
    refusedAgain: 0,
    deferred: 0,
    notReplayable: letters.filter((l) => chosen(l) && l.line === undefined).length,
    untouched: letters.filter((l) => !chosen(l)).length,
    superseded: dropped.length,
  };
  if (lines.length === 0) {
    if (dropped.length > 0) rewrite(deadLetterFile, letters);
    return report;
  }
  const writer = new LazyWriter(settings);
  const stillRefused = new Map<string, string>();
  const notNow = new Set<string>();
  try {
    for (const part of batches(lines, settings.batchSize)) {
      const settled = await settle(writer, LineBatch.of(part), false);
      for (const [why, refused] of settled.refused) for (const line of refused) stillRefused.set(line, why);
      for (const deferred of settled.deferred) for (const line of deferred.lines) notNow.add(line);
    }
  } finally {
    await writer.close();
  }
  const kept = letters.flatMap((letter): DeadLetter[] => {
    if (!chosen(letter) || letter.line === undefined) return [letter];
    const why = stillRefused.get(letter.line);
    if (why !== undefined) return [{ ...letter, time: nowIso, reason: why }];
    return notNow.has(letter.line) ? [letter] : [];
  });
  report.refusedAgain = lines.filter((line) => stillRefused.has(line)).length;
  report.deferred = lines.filter((line) => !stillRefused.has(line) && notNow.has(line)).length;
  report.replayed = lines.length - report.refusedAgain - report.deferred;
  rewrite(deadLetterFile, kept);
  return report;
}

function rewrite(file: string, letters: readonly DeadLetter[]): void {
  writeFileAtomic(file, letters.map((letter) => JSON.stringify(letter) + '\n').join(''));
}
