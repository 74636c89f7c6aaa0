#!/usr/bin/env -S node --max-semi-space-size=4
// The flag caps V8's young generation at 4 MiB per semi-space (the default grows to 16): a backfill
// allocates fast, and the larger young generation both holds more and promotes more to the old one.
// Measured side by side (BENCHMARKS.md): peak RSS of a 1.4 M-point backfill about 30 MB lower, CPU the
// same. The Dockerfile, the systemd unit and `npm start` pass it too (a shebang reaches only the bin).
import { realpathSync } from 'node:fs';
import { packageVersion } from '../util/packageVersion.js';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../config/load.js';
import { ServiceError, UsageError } from '../errors.js';
import { parseCommandLine, USAGE } from './args.js';
import { onceCommand, planCommand, resetCommand, validateCommand } from './commands.js';
import { EXIT, type Io } from './io.js';
import { backfillCommand, runCommand } from './serviceCommands.js';
import { doctorCommand } from './doctor.js';
import { deadLettersCommand, initCommand, statusCommand } from './inspect.js';
import { StateError } from '../state/store.js';
import { LockHeldError } from '../state/lock.js';

/** Runs one command line; returns the exit code. Never throws for a user's mistake. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  try {
    const cli = parseCommandLine(argv);
    switch (cli.command) {
      case 'help':
        io.stdout.write(USAGE);
        return EXIT.ok;
      case 'version':
        io.stdout.write(`${packageVersion()}\n`);
        return EXIT.ok;
      case 'validate':
        return validateCommand(cli, io);
      case 'plan':
        return planCommand(cli, io);
      case 'once':
        return await onceCommand(cli, io);
      case 'run':
        return await runCommand(cli, io);
      case 'backfill':
        return await backfillCommand(cli, io);
      case 'doctor':
        return await doctorCommand(cli, io);
      case 'reset':
        return await resetCommand(cli, io);
      case 'status':
        return statusCommand(cli, io);
      case 'dead-letters':
        return await deadLettersCommand(cli, io);
      case 'init':
        return initCommand(cli, io);
    }
  } catch (error) {
    return reportFatal(error, io);
  }
}

function reportFatal(error: unknown, io: Io): number {
  if (error instanceof ConfigError) {
    io.stderr.write(
      `${error.message}\n${error.problems.length} problem${error.problems.length === 1 ? '' : 's'} in the config\n`,
    );
    return EXIT.usage;
  }
  if (error instanceof UsageError || error instanceof StateError || error instanceof LockHeldError) {
    io.stderr.write(`error: ${error.message}\n`);
    return EXIT.usage;
  }
  if (error instanceof ServiceError) {
    io.stderr.write(`error: ${error.message}\n`);
    return EXIT.failed;
  }
  // A bug, not a user mistake: the stack helps whoever fixes it.
  io.stderr.write(
    `internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return EXIT.failed;
}

/** True when node runs this file (directly or through the npm bin link), false when a test imports it. */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  return script !== undefined && realpathSync(script) === fileURLToPath(import.meta.url);
}

if (isEntryPoint()) {
  // `radar-netflows once --dry-run | head`: the reader has gone, so there is nobody left to tell.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT.ok);
    throw error;
  });
  const code = await main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  });
  process.exitCode = code;
}
