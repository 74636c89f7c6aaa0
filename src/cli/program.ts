/** The command line: one command run, its exit code, and every user mistake said in words. */
import { appliedV8Flags } from './v8Flags.js';
import { packageVersion } from '../util/packageVersion.js';
import { withSecretFiles } from '../config/secretFiles.js';
import { ServiceError } from '../errors.js';
import { parseCommandLine, USAGE, commandHelp, type Command, type CommandLine } from './args.js';
import { EXIT, type Io } from './io.js';

/**
 * Each command's module, loaded when that command runs and not before: `--version`, `help` and
 * `status` need none of InfluxDB's client, the YAML parser of a run or the dashboards (a start that
 * loaded every module cost `--version` 6.8 times a bare node's CPU).
 */
const COMMAND_MODULES: Record<
  Command,
  () => Promise<(cli: CommandLine, io: Io) => number | Promise<number>>
> = {
  validate: async () => (await import('./commands.js')).validateCommand,
  plan: async () => (await import('./commands.js')).planCommand,
  reset: async () => (await import('./commands.js')).resetCommand,
  once: async () => (await import('./once.js')).onceCommand,
  run: async () => (await import('./run.js')).runCommand,
  backfill: async () => (await import('./backfill.js')).backfillCommand,
  doctor: async () => (await import('./doctor.js')).doctorCommand,
  status: async () => (await import('./inspect.js')).statusCommand,
  'dead-letters': async () => (await import('./inspect.js')).deadLettersCommand,
  init: async () => (await import('./inspect.js')).initCommand,
};

/** Errors that are the user's to mend (exit 2), by code: no module needs loading to tell them. */
const USER_MISTAKES = new Set(['usage', 'config_invalid', 'state_unusable', 'state_locked']);

/** Runs one command line; returns the exit code. Never throws for a user's mistake. */
export async function main(argv: readonly string[], given: Io): Promise<number> {
  try {
    const cli = parseCommandLine(argv);
    const io = ['help', 'version', 'init'].includes(cli.command)
      ? given
      : { ...given, env: withSecretFiles(given.env) };
    if (cli.command === 'help') {
      io.stdout.write(cli.helpFor ? commandHelp(cli.helpFor) : USAGE);
      return EXIT.ok;
    }
    if (cli.command === 'version') {
      io.stdout.write(
        `${packageVersion()} (Node.js ${process.version}${appliedV8Flags()
          .map((f) => `, ${f}`)
          .join('')})\n`,
      );
      return EXIT.ok;
    }
    return await (
      await COMMAND_MODULES[cli.command]()
    )(cli, io);
  } catch (error) {
    return reportFatal(error, given);
  }
}

function reportFatal(error: unknown, io: Io): number {
  if (error instanceof ServiceError && error.code === 'config_invalid') {
    const problems = (error as ServiceError & { problems?: unknown[] }).problems?.length ?? 1;
    io.stderr.write(`${error.message}\n${problems} problem${problems === 1 ? '' : 's'} in the config\n`);
    return EXIT.usage;
  }
  if (error instanceof ServiceError && USER_MISTAKES.has(error.code)) {
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
