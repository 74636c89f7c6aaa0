import { createReadStream, type ReadStream } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
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
  const input = await openIfThere(deadLetterFile);
  const temp = `${deadLetterFile}.${process.pid}.tmp`;
  const replay =
    input && new DeadLetterReplay(settings, await open(temp, 'w', 0o600), reason, nowIso, superseded);
  if (!input || !replay) return emptyReport();
  try {
    for await (const line of createInterface({ input, crlfDelay: Infinity })) await replay.take(line);
    await replay.finish();
    await rename(temp, deadLetterFile);
    const dir = await open(dirname(deadLetterFile), 'r');
    await dir.sync().finally(() => dir.close());
  } catch (error) {
    await replay.abandon();
    await rm(temp, { force: true });
    throw error;
  } finally {
    input.destroy();
  }
  return replay.report;
}

function emptyReport(): ReplayReport {
  return {
    replayed: 0,
    refusedAgain: 0,
    deferred: 0,
    notReplayable: 0,
    untouched: 0,
    superseded: 0,
    damaged: 0,
  };
}

/** A stream of the file, or undefined when there is none. */
async function openIfThere(file: string): Promise<ReadStream | undefined> {
  const input = createReadStream(file);
  const opened = await new Promise<boolean>((resolve, reject) => {
    input.once('open', () => resolve(true));
    input.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ENOENT' ? resolve(false) : reject(error),
    );
  });
  return opened ? input : undefined;
}

/** One replay: the letters taken a line at a time, written a batch at a time, what stays written to `out`. */
class DeadLetterReplay {
  readonly report = emptyReport();
  private readonly writer: LazyWriter;
  private batch: DeadLetter[] = [];

  constructor(
    private readonly settings: InfluxSettings,
    private readonly out: FileHandle,
    private readonly reason: string | undefined,
    private readonly nowIso: string,
    private readonly superseded: Superseded,
  ) {
    this.writer = new LazyWriter(settings);
  }

  async take(line: string): Promise<void> {
    const read = readLetterLine(line);
    if (read.damaged !== undefined) {
      this.report.damaged++;
      await this.keep(read.damaged);
    }
    for (const letter of read.letters) {
      if (this.reason !== undefined && !letter.reason.includes(this.reason)) {
        this.report.untouched++;
        await this.keep(JSON.stringify(letter));
      } else if (letter.line === undefined) {
        this.report.notReplayable++;
        await this.keep(JSON.stringify(letter));
      } else if (isSuperseded(letter.line, this.superseded)) this.report.superseded++;
      else {
        this.batch.push(letter);
        if (this.batch.length >= this.settings.batchSize) await this.flush();
      }
    }
  }

  async finish(): Promise<void> {
    await this.flush();
    await this.out.sync();
    await this.out.close();
    await this.writer.close();
  }

  async abandon(): Promise<void> {
    await this.out.close().catch(() => undefined);
    await this.writer.close();
  }

  private async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    const letters = this.batch;
    this.batch = [];
    const settled = await settle(this.writer, LineBatch.of(letters.map((l) => l.line!)), false);
    const refused = new Map<string, string>();
    for (const [why, lines] of settled.refused) for (const line of lines) refused.set(line, why);
    const notNow = new Set(settled.deferred.flatMap((d) => d.lines));
    for (const letter of letters) {
      const why = refused.get(letter.line!);
      if (why !== undefined) {
        this.report.refusedAgain++;
        await this.keep(JSON.stringify({ ...letter, time: this.nowIso, reason: why }));
      } else if (notNow.has(letter.line!)) {
        this.report.deferred++;
        await this.keep(JSON.stringify(letter));
      } else this.report.replayed++;
    }
  }

  private async keep(text: string): Promise<void> {
    await this.out.write(text + '\n');
  }
}

function isSuperseded(line: string, superseded: Superseded): boolean {
  const read = readLine(line);
  return read !== undefined && superseded(read.measurement, read.tags, Number(read.time));
}
