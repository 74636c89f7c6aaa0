import { closeSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ServiceError } from '../errors.js';

/** Who holds a state directory: written into its lock file. */
export interface LockOwner {
  pid: number;
  host: string;
  command: string;
  sinceMs: number;
}

/** Another live process holds the state directory. */
export class LockHeldError extends ServiceError {
  constructor(
    readonly file: string,
    readonly owner: LockOwner,
  ) {
    super(
      'state_locked',
      `the state directory is in use by "${owner.command}" (pid ${owner.pid} on ${owner.host}, since ${new Date(owner.sinceMs).toISOString()}): ` +
        `stop it first, or give this command another STATE_DIR` +
        (owner.host === hostname() ? '' : ` (if that host is gone, remove ${file})`),
    );
  }
}

/**
 * An exclusive lock on a state directory: `STATE_DIR/lock`, created with O_EXCL and holding the
 * owner's pid and host, so that two processes never overwrite each other's checkpoints or delete each
 * other's spool segments. A lock whose process is gone (same host, pid not running, or our own pid: a
 * container restarted as pid 1) is stale and taken over.
 */
export class StateLock {
  private held = true;
  private readonly releaseOnExit = (): void => this.release();

  private constructor(readonly file: string) {
    process.once('exit', this.releaseOnExit);
  }

  /** Takes the lock or throws LockHeldError naming the holder. */
  static acquire(dir: string, command: string): StateLock {
    const file = join(dir, 'lock');
    const owner: LockOwner = { pid: process.pid, host: hostname(), command, sinceMs: Date.now() };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(file, 'wx', 0o600);
        try {
          writeSync(fd, JSON.stringify(owner) + '\n');
        } finally {
          closeSync(fd);
        }
        return new StateLock(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = readOwner(file);
      if (holder && !isStale(holder)) throw new LockHeldError(file, holder);
      // Stale (or unreadable: a crash while it was being written). Renaming is atomic, so of two
      // processes taking over the same stale lock only one moves it away; the other tries again.
      try {
        renameSync(file, `${file}.stale.${process.pid}`);
        rmSync(`${file}.stale.${process.pid}`, { force: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    const holder = readOwner(file);
    throw new LockHeldError(file, holder ?? { pid: 0, host: 'unknown', command: 'unknown', sinceMs: 0 });
  }

  /** Removes the lock file if it is still ours. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    process.off('exit', this.releaseOnExit);
    const holder = readOwner(this.file);
    if (holder?.pid === process.pid && holder.host === hostname()) rmSync(this.file, { force: true });
  }
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockOwner>;
    if (typeof parsed.pid !== 'number' || typeof parsed.host !== 'string') return undefined;
    return {
      pid: parsed.pid,
      host: parsed.host,
      command: typeof parsed.command === 'string' ? parsed.command : 'unknown',
      sinceMs: typeof parsed.sinceMs === 'number' ? parsed.sinceMs : 0,
    };
  } catch {
    return undefined;
  }
}

function isStale(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return false; // cannot tell: another machine sharing the directory
  if (owner.pid === process.pid) return true;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
