import { LineBatch } from './lineBatch.js';
import { InfluxWriteError, type LineWriter } from './lineWriter.js';
import { droppedCount, readRefusal, type RefusalReading } from './refusals.js';
import { lineTimeMs } from './lineReader.js';

/** What became of the lines of one batch written to InfluxDB. */
export interface Settled {
  acknowledged: number;
  /** Refused for good, by reason. */
  refused: Map<string, string[]>;
  /**
   * Not written because InfluxDB could not take them now (unreachable, slow, 5xx, 429): the parts as
   * they were sent, so that the spool keeps their bytes without making a string per line.
   */
  deferred: LineBatch[];
  /** The first such failure. */
  deferredBy: InfluxWriteError | undefined;
}

/**
 * Writes a batch and settles every line: acknowledged, refused (with InfluxDB's reason), or deferred
 * (InfluxDB cannot take it now). A refusal that names its lines (refusals.ts) is settled at once: the
 * named lines are refused and the others are written (or known to be); a 413 sends the body in halves;
 * a refusal that names nothing is narrowed by halves, at most `4 + 2·⌈log2(n+1)⌉` more requests (one
 * bad line among n is found well within it), after which what is left is refused whole with a note
 * (kept, never dropped: writing a good line again later is harmless). A fatal answer (credentials, a
 * missing database) rejects. `stopAtDeferral`: give up at the first deferral (replay: the segment is
 * tried again whole later).
 */
export async function settle(
  writer: LineWriter,
  batch: LineBatch,
  stopAtDeferral: boolean,
): Promise<Settled> {
  const settler = new Settler(writer, batch.count, stopAtDeferral);
  await settler.visit(batch);
  return settler.settled;
}

/** One batch being settled: what became of its lines so far, and the requests it may still spend. */
class Settler {
  readonly settled: Settled = { acknowledged: 0, refused: new Map(), deferred: [], deferredBy: undefined };
  /** Narrowing by halves of refusals that name no line (and of rounds that named a few, after log2 n). */
  private budget: number;
  /** Suspects of a partial write are bisected by time: at most two shard edges split halves at each level. */
  private suspectBudget: number;
  /** Answers so far that each named some refused lines of what was sent. */
  private named = 0;

  constructor(
    private readonly writer: LineWriter,
    count: number,
    private readonly stopAtDeferral: boolean,
  ) {
    this.budget = 4 + 2 * Math.ceil(Math.log2(count + 1));
    this.suspectBudget = 8 + 4 * Math.ceil(Math.log2(count + 1));
  }

  async visit(part: LineBatch): Promise<void> {
    if (part.count === 0 || (this.stopAtDeferral && this.settled.deferredBy)) return;
    try {
      await this.writer.write(part);
      this.settled.acknowledged += part.count;
    } catch (error) {
      if (!(error instanceof InfluxWriteError) || error.outcome === 'fatal') throw error;
      if (error.outcome === 'retry' || error.outcome === 'throttle') {
        this.settled.deferred.push(part);
        this.settled.deferredBy ??= error;
        return;
      }
      const lines = part.lines;
      if (error.outcome === 'split') {
        if (lines.length === 1)
          return this.refuse(lines, `${error.message} (one line larger than InfluxDB takes)`);
        return this.halves(lines);
      }
      await this.refused(lines, readRefusal(lines, error.body || error.message));
    }
  }

  /** A refusal of some of `lines`, as read from InfluxDB's answer. */
  private async refused(lines: readonly string[], reading: RefusalReading): Promise<void> {
    // InfluxDB dropped every line of the batch (dropped=N for N lines): settled at once, whatever
    // the reason names (a max-values-per-tag answer names one value, and each answer one more).
    if (droppedCount(reading.reason) === lines.length) return this.refuse(lines, reading.reason);
    if (reading.took === 'some') return this.suspects(lines, reading);
    if (reading.took === 'unknown') {
      // The answer names no line (a single one is settled at once).
      if (lines.length === 1) return this.refuse(lines, reading.reason);
      return this.narrow(lines, reading.reason);
    }
    this.refuse(reading.refused, reading.reason);
    const refused = new Set(reading.refused);
    const rest = lines.filter((line) => !refused.has(line));
    if (reading.took === 'rest' && reading.complete) this.settled.acknowledged += rest.length;
    // Each answer naming a few more lines (one tag value each, under max-values-per-tag): after
    // log2(n) such rounds the rest goes by halves, where a half InfluxDB drops whole is settled at once.
    else if (this.named++ >= Math.max(3, Math.ceil(Math.log2(rest.length + 1))) && rest.length > 1)
      await this.narrow(rest, reading.reason);
    else await this.visit(LineBatch.of(rest));
  }

  /**
   * Every other line was written; which of the suspects were dropped is found by halves, in time order
   * (a shard is a span of time), so that written lines are never counted as refused.
   */
  private async suspects(
    lines: readonly string[],
    reading: Extract<RefusalReading, { took: 'some' }>,
  ): Promise<void> {
    const suspects = new Set(reading.suspects);
    this.settled.acknowledged += lines.length - suspects.size;
    if (this.suspectBudget <= 0)
      return this.refuse(
        reading.suspects,
        `${reading.reason} (InfluxDB dropped ${reading.dropped} of these ${suspects.size} lines without saying which; kept whole)`,
      );
    this.suspectBudget -= 2;
    await this.halves(byTime(reading.suspects));
  }

  /** Lines InfluxDB refused some of without saying which: by halves, within the budget, then kept whole. */
  private async narrow(lines: readonly string[], reason: string): Promise<void> {
    if (this.budget <= 0)
      return this.refuse(
        lines,
        `${reason} (InfluxDB did not say which lines it refused; these ${lines.length} were not narrowed further and are kept whole)`,
      );
    this.budget -= 2;
    await this.halves(lines);
  }

  private async halves(lines: readonly string[]): Promise<void> {
    const half = Math.ceil(lines.length / 2);
    await this.visit(LineBatch.of(lines.slice(0, half)));
    await this.visit(LineBatch.of(lines.slice(half)));
  }

  private refuse(lines: readonly string[], reason: string): void {
    const kept = this.settled.refused.get(reason);
    if (kept) kept.push(...lines);
    else this.settled.refused.set(reason, [...lines]);
  }
}

/** Lines in time order (their timestamp, the last field); a line without one goes last. */
function byTime(lines: readonly string[]): string[] {
  const timeOf = (line: string) => {
    const t = lineTimeMs(line);
    return Number.isFinite(t) ? t : Infinity;
  };
  return [...lines].sort((a, b) => timeOf(a) - timeOf(b));
}
