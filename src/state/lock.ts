import { closeSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { hostname, uptime } from 'node:os';
import { join } from 'node:path';
import { ServiceError } from '../errors.js';

/** Who holds a state directory: written into its lock file. */
export interface LockOwner {
  pid: number;
  host: string;
  command: string;
  sinceMs: number;
  /** The kernel's boot id when the lock was taken (Linux): a lock from before a reboot is stale. */
  bootId?: string;
  /** When the holder started, in clock ticks since boot (Linux): a pid reused since is another process. */
  startTicks?: number;
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
 * An exclusive lock on a state directory: `STATE_DIR/lock`, created with O_EXCL, holding the owner's
 * pid, host, boot id and start time, so that two processes never overwrite each other's checkpoints or
 * delete each other's spool segments. A lock is stale, and taken over, when its holder is gone: on this
 * host, a boot id other than this boot's (left from before a reboot, whatever now runs under its pid),
 * a pid that no process has, a process under that pid that started at another time (the pid was
 * reused), or our own pid (a container restarted as pid 1). A lock of another host is never judged.
 */
export class StateLock {
  private held = true;
  private readonly releaseOnExit = (): void => this.release();

  private constructor(
    readonly file: string,
    private readonly owner: LockOwner,
  ) {
    process.once('exit', this.releaseOnExit);
  }

  /** Takes the lock or throws LockHeldError naming the holder. */
  static acquire(dir: string, command: string): StateLock {
    const file = join(dir, 'lock');
    const owner = thisProcess(command);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(file, 'wx', 0o600);
        try {
          writeSync(fd, JSON.stringify(owner) + '\n');
        } finally {
          closeSync(fd);
        }
        return new StateLock(file, owner);
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

  /**
   * Undefined while the lock file is still ours; else what happened to it (the state directory was
   * removed, or another process holds a lock there now): this process must not write state there.
   */
  lostReason(): string | undefined {
    if (!this.held) return undefined;
    const holder = readOwner(this.file);
    if (!holder) return `its lock file ${this.file} is gone (the state directory was removed or emptied)`;
    if (!sameOwner(holder, this.owner))
      return `${this.file} now names "${holder.command}" (pid ${holder.pid} on ${holder.host}) as its holder`;
    return undefined;
  }

  /** Removes the lock file if it is still ours. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    process.off('exit', this.releaseOnExit);
    const holder = readOwner(this.file);
    if (holder && sameOwner(holder, this.owner)) rmSync(this.file, { force: true });
  }
}

/** Who holds the state directory now, without taking it: undefined when nobody (or a stale lock) does. */
export function lockHolder(dir: string): LockOwner | undefined {
  const holder = readOwner(join(dir, 'lock'));
  return holder && !isStale(holder) ? holder : undefined;
}

function thisProcess(command: string): LockOwner {
  const bootId = currentBootId();
  const startTicks = processStartTicks(process.pid);
  return {
    pid: process.pid,
    host: hostname(),
    command,
    sinceMs: Date.now(),
    ...(bootId !== undefined ? { bootId } : {}),
    ...(startTicks !== undefined ? { startTicks } : {}),
  };
}

function sameOwner(a: LockOwner, b: LockOwner): boolean {
  return a.pid === b.pid && a.host === b.host && a.sinceMs === b.sinceMs;
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
      ...(typeof parsed.bootId === 'string' ? { bootId: parsed.bootId } : {}),
      ...(typeof parsed.startTicks === 'number' ? { startTicks: parsed.startTicks } : {}),
    };
  } catch {
    return undefined;
  }
}

const BOOT_MARGIN_MS = 5000;

export function isStale(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return false; // cannot tell: another machine sharing the directory
  if (owner.pid === process.pid) return true;
  const bootId = currentBootId();
  if (owner.bootId !== undefined && bootId !== undefined && owner.bootId !== bootId) return true;
  // A lock without a boot id (an earlier release's) taken before this boot: its holder is gone,
  // whatever process has its pid now. (Boot time from the uptime; a few seconds' margin for rounding.)
  if (owner.bootId === undefined && owner.sinceMs < Date.now() - uptime() * 1000 - BOOT_MARGIN_MS)
    return true;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  // A process runs under that pid: the holder only if it started when the holder did.
  const startTicks = processStartTicks(owner.pid);
  return owner.startTicks !== undefined && startTicks !== undefined && startTicks !== owner.startTicks;
}

/** /proc/sys/kernel/random/boot_id: changes at every boot (Linux); undefined elsewhere. */
function currentBootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot (Linux). */
function processStartTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}
