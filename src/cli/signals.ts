import { EXIT, type Io } from './io.js';

/**
 * Calls `onFirst` on the first SIGTERM/SIGINT; a second one exits at once (the state file is always
 * whole: every save is an atomic rename). Returns a function that removes the handlers.
 */
export function onStopSignal(onFirst: (signal: string) => void, io: Io): () => void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) {
      io.stderr.write(`${signal} again: exiting now; windows in flight will be fetched again next time\n`);
      process.exit(EXIT.interrupted);
    }
    stopping = true;
    onFirst(signal);
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return () => {
    process.off('SIGTERM', handler);
    process.off('SIGINT', handler);
  };
}
