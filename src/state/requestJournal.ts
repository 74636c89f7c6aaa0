import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './durableFile.js';

/**
 * The Radar requests of the last few minutes, and a 429's pause, kept in STATE_DIR/radar-requests
 * (one line each: `s <wall ms>` for a request started, `p <wall ms>` for a pause until then), so that
 * the rate limit holds across restarts: a backfill stopped while it waits for the limit and started
 * again at once (a crash loop under systemd or compose) sent 13 requests in one 300-s span at a limit of
 * 10, and Cloudflare locks a user out for 5 minutes. Appended without fsync: a process that dies
 * leaves its lines to the kernel, which is what a restart loop needs (a power cut forgets a few
 * minutes of requests, which a cold boot spends anyway).
 */
export class RequestJournal {
  private lines = 0;

  private constructor(
    private readonly file: string | undefined,
    /** Request starts within the span, wall time, oldest first. */
    readonly startsMs: number[],
    /** The end of a 429's pause, wall time (0: none). */
    readonly pausedUntilMs: number,
    private readonly compactAfter: number,
  ) {}

  /**
   * Reads what the last process left (within `spanMs` of `nowMs`) and, unless `readOnly` (--dry-run,
   * which writes nothing), rewrites the file with only that.
   */
  static open(
    stateDir: string,
    nowMs: number,
    spanMs: number,
    limit: number,
    readOnly: boolean,
  ): RequestJournal {
    const file = join(stateDir, 'radar-requests');
    let starts: number[] = [];
    let pausedUntil = 0;
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      // None yet (or unreadable: the limit then starts afresh, as before this file existed).
    }
    for (const line of text.split('\n')) {
      const match = /^([sp]) (\d+)$/.exec(line);
      if (!match) continue;
      const ms = Number(match[2]);
      // A time in the future is a clock that went back: counted as now, never as later.
      if (match[1] === 's' && ms > nowMs - spanMs) starts.push(Math.min(ms, nowMs));
      if (match[1] === 'p' && ms > nowMs) pausedUntil = Math.max(pausedUntil, Math.min(ms, nowMs + spanMs));
    }
    starts = starts.sort((a, b) => a - b).slice(-limit);
    const journal = new RequestJournal(readOnly ? undefined : file, starts, pausedUntil, 4 * limit + 16);
    journal.compact();
    return journal;
  }

  recordStart(wallMs: number): void {
    this.startsMs.push(wallMs);
    while (this.startsMs.length > this.compactAfter / 4) this.startsMs.shift();
    this.append(`s ${wallMs}`);
  }

  recordPause(untilWallMs: number): void {
    this.append(`p ${untilWallMs}`);
  }

  private append(line: string): void {
    if (!this.file) return;
    try {
      if (++this.lines > this.compactAfter) this.compact();
      appendFileSync(this.file, `${line}\n`, { mode: 0o600 });
    } catch {
      // A full disk costs this file, never a request: the limit then counts this process alone.
    }
  }

  private compact(): void {
    if (!this.file) return;
    try {
      writeFileAtomic(this.file, this.startsMs.map((ms) => `s ${ms}\n`).join(''));
      this.lines = this.startsMs.length;
    } catch {
      // As above.
    }
  }
}
