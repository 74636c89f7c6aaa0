import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';

export const COMMANDS = [
  'run',
  'once',
  'backfill',
  'validate',
  'plan',
  'doctor',
  'reset',
  'status',
  'dead-letters',
  'init',
] as const;
export type Command = (typeof COMMANDS)[number];

export interface CommandLine {
  command: Command | 'help' | 'version';
  /** help: the command to tell about (`help once`, `once --help`); undefined: all of them. */
  helpFor?: Command;
  config: string;
  jobs: string[];
  dimensions: string[];
  intervals: string[];
  from: string | undefined;
  to: string | undefined;
  refetch: boolean;
  dryRun: boolean;
  /** doctor: also find the largest window Radar answers per interval. */
  windows: boolean;
  /** status, dead-letters: JSON instead of text. */
  json: boolean;
  /** dead-letters: write them to InfluxDB again. */
  replay: boolean;
  /** dead-letters: only those whose reason contains this. */
  reason: string | undefined;
}

export const USAGE = `Usage: radar-netflows <command> [options]

Commands:
  run         the service: every job on its schedule, from its checkpoint up to now, until SIGTERM
  once        every job now, from its checkpoint up to now, then exit (non-zero if any query failed)
  backfill    history from --from to --to (resumable: run the same command again after a stop)
  validate    check the config; errors are printed as file:line:col
  plan        list the queries the config expands into
  doctor      check, with a few dozen requests, what the service assumes of the live Radar API
  reset       forget the checkpoints of --job's queries: they start again from their look-back
  status      per query where it stands; what waits in the spool; the dead letters (read-only)
  dead-letters  the dead letters by reason; --replay writes them to InfluxDB again once fixed
  init        write the example jobs.yaml here (or to --config), to start from
  help [cmd]  this text, or one command's

Options:
  --config <file>   the jobs file (default ./jobs.yaml)
  --job <name>      only this job (repeatable; once, plan, backfill, reset)
  --dimension <d>   only this dimension, or TRAFFIC_LEVEL (repeatable; once, plan, backfill, reset)
  --interval <i>    only this interval (repeatable; once, plan, backfill, reset)
  --from <time>     backfill start: 2025-01-01, 2025-01-01T06:00:00Z, or an age such as 365d
  --to <time>       backfill end (default now), same forms
  --refetch         backfill windows already final too
  --dry-run         print line protocol to stdout; nothing is written, state included (once, backfill)
  --windows         doctor: also find the largest window Radar answers for each interval
  --json            status, dead-letters: JSON on stdout
  --replay          dead-letters: write them to InfluxDB again, removing those it takes
  --reason <text>   dead-letters: only those whose reason contains the text
  --help, -h        this text, or one command's (radar-netflows help once, once --help)
  --version, -v     the version, and the Node.js it runs on

Connection settings come from jobs.yaml or the environment (which wins): CLOUDFLARE_API_TOKEN
(or CLOUDFLARE_API_EMAIL + CLOUDFLARE_API_KEY), RADAR_API_URL, INFLUX_URL, INFLUX_DATABASE,
INFLUX_USERNAME, INFLUX_PASSWORD (1.x), INFLUX_TOKEN, INFLUX_ORG, INFLUX_BUCKET (2.x/3.x),
STATE_DIR, HTTP_LISTEN (run: /healthz /readyz /metrics, default 127.0.0.1:9464, or off), LOG_LEVEL.
Secrets may come from files: CLOUDFLARE_API_TOKEN_FILE, CLOUDFLARE_API_KEY_FILE, INFLUX_TOKEN_FILE,
INFLUX_PASSWORD_FILE (Docker secrets), or systemd credentials of those names ($CREDENTIALS_DIRECTORY).

Exit codes: 0 ok; 1 a query failed; 2 a mistake in the command line, config or state directory;
3 fetched, but points wait in the disk spool for InfluxDB; 130 interrupted (backfill resumes).
`;

/** The options each command uses (besides --config); any other is a mistake, not something to ignore. */
const OPTIONS_OF: Record<Command, readonly string[]> = {
  run: [],
  once: ['job', 'dimension', 'interval', 'dry-run'],
  backfill: ['job', 'dimension', 'interval', 'from', 'to', 'refetch', 'dry-run'],
  validate: [],
  plan: ['job', 'dimension', 'interval'],
  doctor: ['windows'],
  reset: ['job', 'dimension', 'interval'],
  status: ['json'],
  'dead-letters': ['json', 'replay', 'reason'],
  init: [],
};

/** Parses argv strictly: an unknown command or option is a usage error naming it (and what was meant). */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const { values, positionals } = parseStrictly(argv);
  const [first, second, ...rest] = positionals;
  const wantsHelp = values.help === true || first === 'help' || first === undefined;
  const named = first === 'help' ? second : first;
  if (rest.length > 0 || (second !== undefined && first !== 'help'))
    throw new UsageError(
      `unexpected argument "${rest[0] ?? second}" (radar-netflows help${named ? ` ${named}` : ''})`,
    );
  if (values.version) return commandLine('version', values);
  if (named !== undefined && !(COMMANDS as readonly string[]).includes(named))
    throw new UsageError(
      `unknown command "${named}"${didYouMean(named, COMMANDS)}; commands: ${COMMANDS.join(', ')} (radar-netflows help)`,
    );
  if (wantsHelp) return { ...commandLine('help', values), ...(named ? { helpFor: named as Command } : {}) };
  checkOptionsOf(named as Command, Object.keys(values));
  return commandLine(named as Command, values);
}

/** Every option the product knows; parseArgs reads it, and "did you mean" suggests from it. */
const OPTIONS = {
  config: { type: 'string', short: 'c' },
  job: { type: 'string', multiple: true },
  dimension: { type: 'string', multiple: true },
  interval: { type: 'string', multiple: true },
  from: { type: 'string' },
  to: { type: 'string' },
  refetch: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  windows: { type: 'boolean' },
  json: { type: 'boolean' },
  replay: { type: 'boolean' },
  reason: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

type Values = ReturnType<typeof parseStrictly>['values'];

function parseStrictly(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: OPTIONS,
    });
  } catch (error) {
    throw new UsageError(inOurWords(error as Error & { code?: string }));
  }
}

/** node's parseArgs messages, said as the product says things: what is wrong, what was meant. */
function inOurWords(error: Error & { code?: string }): string {
  const option = /'(-{1,2}[^'\s]+)'/.exec(error.message)?.[1];
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) {
    const known = Object.keys(OPTIONS).map((o) => `--${o}`);
    return `unknown option ${option}${didYouMean(option, known)} (radar-netflows help)`;
  }
  const long = /--([a-z][a-z-]*)/.exec(error.message)?.[1];
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && long)
    return `--${long} needs a value (radar-netflows help)`;
  return `${error.message.split('\n')[0]} (radar-netflows help)`;
}

function commandLine(command: CommandLine['command'], values: Values): CommandLine {
  return {
    command,
    config: values.config ?? 'jobs.yaml',
    jobs: values.job ?? [],
    dimensions: values.dimension ?? [],
    intervals: values.interval ?? [],
    from: values.from,
    to: values.to,
    refetch: values.refetch ?? false,
    dryRun: values['dry-run'] ?? false,
    windows: values.windows ?? false,
    json: values.json ?? false,
    replay: values.replay ?? false,
    reason: values.reason,
  };
}

/** "; did you mean --job?" when one known word is within two edits of what was typed, else nothing. */
function didYouMean(typed: string, known: readonly string[]): string {
  const close = known
    .map((word) => ({ word, distance: editDistance(typed, word) }))
    .filter((c) => c.distance <= 2)
    .sort((a, b) => a.distance - b.distance);
  return close.length > 0 ? `; did you mean ${close[0]!.word}?` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = above;
    }
  }
  return row[b.length]!;
}

/** One command's help: its line of USAGE, the options it takes, and where the rest is. */
export function commandHelp(command: Command): string {
  const lines = USAGE.split('\n');
  const summary = lines.find((l) => new RegExp(`^  ${command}\\s`).test(l))?.trim() ?? command;
  const options = [...OPTIONS_OF[command], 'config'].map(
    (option) =>
      lines.find((l) => l.startsWith(`  --${option} `) || l.startsWith(`  --${option},`)) ?? `  --${option}`,
  );
  return (
    `Usage: radar-netflows ${command} [options]\n\n${summary}\n\nOptions:\n${options.join('\n')}\n\n` +
    `Every command, the environment and the exit codes: radar-netflows help\n`
  );
}

/** The options a command does not take: a usage error naming them and what it takes. */
function checkOptionsOf(command: Command, given: readonly string[]): void {
  const allowed = OPTIONS_OF[command];
  const unused = given.filter(
    (option) => option !== 'config' && !(allowed as readonly string[]).includes(option),
  );
  if (unused.length === 0) return;
  throw new UsageError(
    `${command} does not take ${unused.map((o) => `--${o}`).join(', ')}` +
      (allowed.length > 0
        ? `; it takes ${allowed.map((o) => `--${o}`).join(', ')} (and --config)`
        : ' (only --config)') +
      (command === 'run' && unused.includes('dry-run')
        ? ': use once --dry-run to see what would be written'
        : ''),
  );
}

/**
 * A --from/--to value: an RFC 3339 date-time, a date (midnight UTC), `now`, or an age before now
 * (`<n>h`, `<n>d`, `<n>w`).
 */
export function parseTimeArg(option: string, text: string, nowMs: number): number {
  if (text === 'now') return nowMs;
  const age = /^(\d+)([hdw])$/.exec(text);
  if (age)
    return (
      nowMs - Number(age[1]) * { h: 3_600_000, d: 86_400_000, w: 604_800_000 }[age[2] as 'h' | 'd' | 'w']
    );
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(text)
    ? Date.parse(`${text}T00:00:00Z`)
    : /^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/.test(text)
      ? Date.parse(text)
      : NaN;
  if (!Number.isFinite(ms))
    throw new UsageError(
      `${option} "${text}" is not a time: use 2025-01-01, 2025-01-01T06:00:00Z, now, or an age such as 365d`,
    );
  return ms;
}
