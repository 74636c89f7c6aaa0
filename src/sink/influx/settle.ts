import { LineBatch } from './lineBatch.js';
import { InfluxWriteError, type LineWriter } from './lineWriter.js';
import { droppedCount, readRefusal } from './refusals.js';

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
  const settled: Settled = { acknowledged: 0, refused: new Map(), deferred: [], deferredBy: undefined };
  let budget = 4 + 2 * Math.ceil(Math.log2(batch.count + 1));
  // (Halving after named refusals may need more: each half with both kinds of line splits again.)
  // Suspects of a partial write are bisected by time: at most two shard edges split halves at each level.
  // Answers so far that each named some refused lines of what was sent.
  let named = 0;
  let suspectBudget = 8 + 4 * Math.ceil(Math.log2(batch.count + 1));
  const refuse = (lines: readonly string[], reason: string): void => {
    const kept = settled.refused.get(reason);
    if (kept) kept.push(...lines);
    else settled.refused.set(reason, [...lines]);
  };
  const visit = async (part: LineBatch): Promise<void> => {
    if (part.count === 0 || (stopAtDeferral && settled.deferredBy)) return;
    try {
      await writer.write(part);
      settled.acknowledged += part.count;
      return;
    } catch (error) {
      if (!(error instanceof InfluxWriteError) || error.outcome === 'fatal') throw error;
      if (error.outcome === 'retry' || error.outcome === 'throttle') {
        settled.deferred.push(part);
        settled.deferredBy ??= error;
        return;
      }
      const lines = part.lines;
      if (error.outcome === 'split') {
        if (lines.length === 1)
          return refuse(lines, `${error.message} (one line larger than InfluxDB takes)`);
        return halves(lines);
      }
      const reading = readRefusal(lines, error.body || error.message);
      // InfluxDB dropped every line of the batch (dropped=N for N lines): settled at once, whatever
      // the reason names (a max-values-per-tag answer names one value, and each answer one more).
      if (droppedCount(reading.reason) === lines.length) return refuse(lines, reading.reason);
      if (reading.took === 'some') {
        // Every other line was written; which of the suspects were dropped is found by halves, in time
        // order (a shard is a span of time), so that written lines are never counted as refused.
        const suspects = new Set(reading.suspects);
        settled.acknowledged += lines.length - suspects.size;
        if (suspectBudget <= 0)
          return refuse(
            reading.suspects,
            `${reading.reason} (InfluxDB dropped ${reading.dropped} of these ${suspects.size} lines without saying which; kept whole)`,
          );
        suspectBudget -= 2;
        return halves(byTime(reading.suspects));
      }
      if (reading.took !== 'unknown') {
        refuse(reading.refused, reading.reason);
        const refused = new Set(reading.refused);
        const rest = lines.filter((line) => !refused.has(line));
        if (reading.took === 'rest' && reading.complete) settled.acknowledged += rest.length;
        // Each answer naming a few more lines (one tag value each, under max-values-per-tag): after
        // log2(n) such rounds the rest goes by halves, where a half InfluxDB drops whole is settled at once.
        else if (named++ >= Math.max(3, Math.ceil(Math.log2(rest.length + 1))) && rest.length > 1)
          await narrow(rest, reading.reason);
        else await visit(LineBatch.of(rest));
        return;
      }
      // The answer names no line (a single one is settled at once).
      if (lines.length === 1) return refuse(lines, reading.reason);
      await narrow(lines, reading.reason);
    }
  };
  /** Lines InfluxDB refused some of without saying which: by halves, within the budget, then kept whole. */
  const narrow = async (lines: readonly string[], reason: string): Promise<void> => {
    if (budget <= 0)
      return refuse(
        lines,
        `${reason} (InfluxDB did not say which lines it refused; these ${lines.length} were not narrowed further and are kept whole)`,
      );
    budget -= 2;
    await halves(lines);
  };
  const halves = async (lines: readonly string[]): Promise<void> => {
    const half = Math.ceil(lines.length / 2);
    await visit(LineBatch.of(lines.slice(0, half)));
    await visit(LineBatch.of(lines.slice(half)));
  };
  await visit(batch);
  return settled;
}

/** Lines in time order (their timestamp, the last field); a line without one goes last. */
function byTime(lines: readonly string[]): string[] {
  const timeOf = (line: string) => {
    const t = Number(line.slice(line.lastIndexOf(' ') + 1));
    return Number.isFinite(t) ? t : Infinity;
  };
  return [...lines].sort((a, b) => timeOf(a) - timeOf(b));
}
