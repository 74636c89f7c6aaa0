import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';

export const COMMANDS = ['run', 'once', 'backfill', 'validate', 'plan'] as const;
export type Command = (typeof COMMANDS)[number];

export interface CommandLine {
  command: Command | 'help' | 'version';
  config: string;
  jobs: string[];
  dryRun: boolean;
}

export const USAGE = `Usage: radar-netflows <command> [options]

Commands:
  once        fetch every job's windows now, write them, exit (non-zero if any query failed)
  validate    check the config; errors are printed as file:line:col
  plan        list the queries the config expands into
  help        this text

Options:
  --config <file>   the jobs file (default ./jobs.yaml)
  --job <name>      only this job (repeatable; once, plan)
  --dry-run         print line protocol to stdout instead of writing to InfluxDB (once)
  --help, --version

Connection settings come from jobs.yaml or the environment (which wins): CLOUDFLARE_API_TOKEN
(or CLOUDFLARE_API_EMAIL + CLOUDFLARE_API_KEY), RADAR_API_URL, INFLUX_URL, INFLUX_DATABASE,
INFLUX_USERNAME, INFLUX_PASSWORD (1.x), INFLUX_TOKEN, INFLUX_ORG, INFLUX_BUCKET (2.x/3.x),
STATE_DIR, LOG_LEVEL.
`;

/** Parses argv strictly: an unknown command or option is a usage error naming it. */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string', short: 'c' },
        job: { type: 'string', multiple: true },
        'dry-run': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  const [first, ...rest] = positionals;
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"\n\n${USAGE}`);
  const command = values.help || first === 'help' || first === undefined ? 'help' : values.version ? 'version' : first;
  if (command !== 'help' && command !== 'version' && !(COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(`unknown command "${command}"; commands: ${COMMANDS.join(', ')}\n\n${USAGE}`);
  }
  return {
    command: command as CommandLine['command'],
    config: values.config ?? 'jobs.yaml',
    jobs: values.job ?? [],
    dryRun: values['dry-run'] ?? false,
  };
}
