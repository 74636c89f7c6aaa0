import winston from 'winston';
import { redact, UsageError } from './errors.js';

export type { Logger } from 'winston';

export const LEVELS = ['error', 'warn', 'info', 'debug'] as const;

/** LOG_LEVEL as given, or info when unset; anything else is the user's mistake to fix. */
export function parseLogLevel(text: string | undefined): (typeof LEVELS)[number] {
  if (text === undefined || text === '') return 'info';
  if ((LEVELS as readonly string[]).includes(text)) return text as (typeof LEVELS)[number];
  throw new UsageError(`LOG_LEVEL "${text}" is not one of ${LEVELS.join(', ')}`);
}

/**
 * LOG_FORMAT: `json` (JSON lines) or `text` (one line a message, for people); unset, JSON off a
 * terminal and text on one. Anything else is a usage error, as a mistyped LOG_LEVEL is.
 */
export function parseLogFormat(text: string | undefined): boolean | undefined {
  if (text === undefined || text === '') return undefined;
  if (text === 'json') return false;
  if (text === 'text') return true;
  throw new UsageError(`LOG_FORMAT "${text}" is not one of json, text`);
}

/**
 * JSON lines on stderr (stdout is for command output and --dry-run line protocol); human-readable on
 * a TTY. Every message and string field passes through redaction of the configured secrets.
 */
export function createLogger(
  options: {
    level?: string | undefined;
    secrets?: readonly (string | undefined)[];
    pretty?: boolean;
    silent?: boolean;
  } = {},
): winston.Logger {
  const level =
    options.level && (LEVELS as readonly string[]).includes(options.level) ? options.level : 'info';
  const secrets = options.secrets ?? [];
  const redactSecrets = winston.format((info) => {
    for (const key of Object.keys(info)) {
      const value = info[key];
      if (typeof value === 'string') info[key] = redact(value, secrets);
    }
    return info;
  });
  const pretty = options.pretty ?? process.stderr.isTTY === true;
  return winston.createLogger({
    level,
    silent: options.silent ?? false,
    format: winston.format.combine(
      redactSecrets(),
      winston.format.timestamp(),
      pretty
        ? winston.format.printf(({ timestamp, level: lvl, message, ...meta }) => {
            const context = Object.entries(meta)
              .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
              .join(' ');
            return printable(
              `${String(timestamp)} ${lvl.padEnd(5)} ${String(message)}${context ? `  ${context}` : ''}`,
            );
          })
        : winston.format.json(),
    ),
    transports: [new winston.transports.Console({ stderrLevels: [...LEVELS] })],
  });
}

/**
 * Text for a terminal: control characters (an alert summary's ANSI escapes, a line break in a group
 * key) shown as `\u001b` rather than sent raw, where they would recolour, move the cursor or forge a
 * line. JSON lines escape them already.
 */
export function printable(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
