import { readFileSync } from 'node:fs';
import { EXIT, type Io } from './io.js';

/** How often a process started by npm looks whether npm is still there. */
const PARENT_CHECK_MS = 1000;

/**
 * Calls `onFirst` on the first stop: SIGTERM, SIGINT, SIGHUP (the terminal went away; `run` takes
 * SIGHUP as a reload instead, see `hangup`), or, for a process started by npm or npx, npm going away:
 * `npx radar-netflows run` and `npm start` run the service as a child of npm, which exits on SIGTERM
 * (143) without passing the signal on, and would leave the service running with the state lock. A
 * second signal exits at once (the state file is always whole: every save is an atomic rename).
 * Returns a function that removes the handlers.
 */
export function onStopSignal(
  onFirst: (signal: string) => void,
  io: Io,
  hangup: 'stop' | ((signal: string) => void) = 'stop',
): () => void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      io.stderr.write(`${signal} again: exiting now; windows in flight will be fetched again next time\n`);
      process.exit(EXIT.interrupted);
    }
    stopping = true;
    onFirst(signal);
  };
  const onHangup = hangup === 'stop' ? stop : hangup;
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', onHangup);
  const watch = startedByNpm() ? watchParent(() => stop('npm (the parent process) exited')) : undefined;
  return () => {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    process.off('SIGHUP', onHangup);
    clearInterval(watch);
  };
}

/** Calls `gone` once the parent process is no longer ours (it exited: we were handed to init). */
function watchParent(gone: () => void): NodeJS.Timeout {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    gone();
  }, PARENT_CHECK_MS);
  timer.unref();
  return timer;
}

/**
 * Whether npm or npx is among the nearest ancestors (npm runs scripts and bins through `sh -c`). Only
 * then does the parent going away stop us: a service started with `nohup … &` must outlive its shell.
 */
function startedByNpm(): boolean {
  let pid = process.ppid;
  for (let depth = 0; depth < 3 && pid > 1; depth++) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (/(^|[/\s])(npm|npx)(-cli\.js)?(\s|$)/.test(cmdline)) return true;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return false; // no /proc (not Linux), or the process is gone
    }
  }
  return false;
}
