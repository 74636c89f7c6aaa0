/** Where a command reads and writes: the process's streams and environment, or a test's. */
export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/** Exit codes scripts can rely on: 2 is a mistake in the config, the command line or the state directory. */
export const EXIT = { ok: 0, failed: 1, usage: 2, spooled: 3, interrupted: 130 } as const;
