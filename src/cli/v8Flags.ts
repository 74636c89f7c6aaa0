/**
 * The V8 flag the command runs with, applied by node re-executing itself in place.
 *
 * `--max-semi-space-size=4` caps V8's young generation at 4 MiB per semi-space (the default grows to
 * 16): a backfill allocates fast, and the larger young generation both holds more and promotes more
 * to the old one. Measured side by side (BENCHMARKS.md): peak RSS of a 1.4 M-point backfill about
 * 30 MB lower, CPU the same.
 *
 * A shebang cannot carry it: `#!/usr/bin/env -S node --flag` needs GNU env's -S, which BusyBox's env
 * (every node:*-alpine image) refuses, and a plain `#!/usr/bin/env node --flag` passes "node --flag"
 * as one name everywhere but in npm's Windows cmd shim. So the bin's shebang is `#!/usr/bin/env node`,
 * and this module, imported first by main.js, replaces the process with node started with the flag
 * (process.execve: same pid, same file descriptors, same environment) when node was started without
 * one. Node.js 20 has no process.execve (22.15 and later have it), nor has Windows: there the command
 * runs without the flag; `npm start`, the Dockerfile and the systemd unit pass it themselves.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const V8_FLAGS = ['--max-semi-space-size=4'] as const;

type Execve = (file: string, args: string[], env: NodeJS.ProcessEnv) => never;

/** The flags among node's own options, as `--version` reports them. */
export function appliedV8Flags(execArgv: readonly string[] = process.execArgv): string[] {
  return execArgv.filter((arg) => arg.startsWith('--max-semi-space-size'));
}

function startedAsEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === fileURLToPath(new URL('./main.js', import.meta.url));
  } catch {
    return false;
  }
}

const execve = (process as unknown as { execve?: Execve }).execve;
if (typeof execve === 'function' && appliedV8Flags().length === 0 && startedAsEntryPoint()) {
  execve.call(
    process,
    process.execPath,
    [process.execPath, ...V8_FLAGS, ...process.execArgv, process.argv[1]!, ...process.argv.slice(2)],
    process.env,
  );
}
