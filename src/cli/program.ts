/** The command line: one command run, its exit code, and every user mistake said in words. */
import { appliedV8Flags } from './v8Flags.js';
import { packageVersion } from '../util/packageVersion.js';
import { ConfigError } from '../config/load.js';
import { withSecretFiles } from '../config/secretFiles.js';
import { ServiceError, UsageError } from '../errors.js';
import { parseCommandLine, USAGE, commandHelp } from './args.js';
import { planCommand, resetCommand, validateCommand } from './commands.js';
import { onceCommand } from './once.js';
import { backfillCommand } from './backfill.js';
import { EXIT, type Io } from './io.js';
import { runCommand } from './run.js';
import { doctorCommand } from './doctor.js';
import { deadLettersCommand, initCommand, statusCommand } from './inspect.js';
import { StateError } from '../state/store.js';
import { LockHeldError } from '../state/lock.js';

/** Runs one command line; returns the exit code. Never throws for a user's mistake. */
export async function main(argv: readonly string[], given: Io): Promise<number> {
  try {
    const cli = parseCommandLine(argv);
    const io = ['help', 'version', 'init'].includes(cli.command)
      ? given
      : { ...given, env: withSecretFiles(given.env) };
    switch (cli.command) {
      case 'help':
        io.stdout.write(cli.helpFor ? commandHelp(cli.helpFor) : USAGE);
        return EXIT.ok;
      case 'version':
        io.stdout.write(
          `${packageVersion()} (Node.js ${process.version}${appliedV8Flags()
            .map((f) => `, ${f}`)
            .join('')})\n`,
        );
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
    return reportFatal(error, given);
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
