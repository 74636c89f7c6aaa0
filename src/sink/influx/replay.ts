import { createReadStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { InfluxSettings } from '../../model/settings.js';
import { LazyWriter } from './connect.js';
import { readLetterLine, type DeadLetter } from './deadLetters.js';
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
  /** Records of the file that cannot be read (a crash cut them short): kept as they are, never deleted. */
  damaged: number;
}

/** Whether a refused line (its measurement, tags and time in ms) is of a group since removed from its window. */
export type Superseded = (measurement: string, tags: ReadonlyMap<string, string>, timeMs: number) => boolean;

/**
 * Writes the dead letters (those whose reason contains `reason`, or all) to InfluxDB again, once their
 * cause is fixed (a measurement dropped after a field type conflict, a retention policy extended), and
 * keeps in the file only what is still not taken: a line InfluxDB takes is removed, one it refuses
 * again stays with the new reason. Writing a line InfluxDB already holds rewrites the same point, so
 * nothing is duplicated. Points no line protocol can carry (see unstorableReason) and records that
 * cannot be read stay as they are. The file is read as a stream, a batch at a time (it may hold
 * millions of letters), and replaced atomically at the end; the caller holds the state directory's lock.
 */
export async function replayDeadLetters(
  settings: InfluxSettings,
  stateDir: string,
  reason: string | undefined,
  nowIso: string,
  superseded: Superseded = () => false,
): Promise<ReplayReport> {
  const { deadLetterFile } = influxStateFiles(stateDir);
  const report: ReplayReport = {
    replayed: 0,
    refusedAgain: 0,
    deferred: 0,
    notReplayable: 0,
    untouched: 0,
    superseded: 0,
    damaged: 0,
  };
  const input = createReadStream(deadLetterFile);
  const opened = await new Promise<boolean>((resolve, reject) => {
    input.once('open', () => resolve(true));
    input.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ENOENT' ? resolve(false) : reject(error),
    );
  });
  if (!opened) return report;
  const temp = `${deadLetterFile}.${process.pid}.tmp`;
  const out = await open(temp, 'w', 0o600);
  const writer = new LazyWriter(settings);
  const keep = (text: string) => out.write(text + '\n');
  const chosen = (letter: DeadLetter) => reason === undefined || letter.reason.includes(reason);
  let batch: DeadLetter[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const letters = batch;
    batch = [];
    const settled = await settle(writer, LineBatch.of(letters.map((l) => l.line!)), false);
    const refused = new Map<string, string>();
    for (const [why, lines] of settled.refused) for (const line of lines) refused.set(line, why);
    const notNow = new Set(settled.deferred.flatMap((d) => d.lines));
    for (const letter of letters) {
      const why = refused.get(letter.line!);
      if (why !== undefined) {
        report.refusedAgain++;
        await keep(JSON.stringify({ ...letter, time: nowIso, reason: why }));
      } else if (notNow.has(letter.line!)) {
        report.deferred++;
        await keep(JSON.stringify(letter));
      } else report.replayed++;
    }
  };
  try {
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      const read = readLetterLine(line);
      if (read.damaged !== undefined) {
        report.damaged++;
        await keep(read.damaged);
      }
      for (const letter of read.letters) {
        if (!chosen(letter)) {
          report.untouched++;
          await keep(JSON.stringify(letter));
        } else if (letter.line === undefined) {
          report.notReplayable++;
          await keep(JSON.stringify(letter));
        } else if (isSuperseded(letter.line, superseded)) report.superseded++;
        else {
          batch.push(letter);
          if (batch.length >= settings.batchSize) await flush();
        }
      }
    }
    await flush();
    await out.sync();
    await out.close();
    await rename(temp, deadLetterFile);
    const dir = await open(dirname(deadLetterFile), 'r');
    await dir.sync().finally(() => dir.close());
  } catch (error) {
    await out.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  } finally {
    input.destroy();
    await writer.close();
  }
  return report;
}

function isSuperseded(line: string, superseded: Superseded): boolean {
  const read = readLine(line);
  return read !== undefined && superseded(read.measurement, read.tags, Number(read.time));
}
