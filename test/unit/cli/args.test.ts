import { describe, expect, test } from '@jest/globals';
import { commandHelp, parseCommandLine, parseTimeArg } from '../../../src/cli/args.js';
import { UsageError } from '../../../src/errors.js';

describe('parseCommandLine', () => {
  test('reads the command and its options', () => {
    expect(
      parseCommandLine([
        'backfill',
        '--config',
        'x.yaml',
        '--job',
        'a',
        '--job',
        'b',
        '--from',
        '30d',
        '--refetch',
      ]),
    ).toMatchObject({
      command: 'backfill',
      config: 'x.yaml',
      jobs: ['a', 'b'],
      from: '30d',
      refetch: true,
      dryRun: false,
    });
    expect(parseCommandLine([]).command).toBe('help');
    expect(() => parseCommandLine(['run', '--job', 'x'])).toThrow(
      /run does not take --job \(only --config\)/,
    );
    expect(() => parseCommandLine(['once', '--from', '2d'])).toThrow(
      /once does not take --from; it takes --job, --dimension, --interval, --dry-run \(and --config\)/,
    );
    expect(() => parseCommandLine(['run', '--dry-run'])).toThrow(/use once --dry-run/);
    expect(() => parseCommandLine(['validate', '--refetch'])).toThrow(UsageError);
    expect(parseCommandLine(['--version']).command).toBe('version');
  });

  test('refuses unknown commands, options and extra arguments', () => {
    expect(() => parseCommandLine(['fetch'])).toThrow(
      /unknown command "fetch"; commands: run, once, backfill, validate, plan/,
    );
    expect(() => parseCommandLine(['once', '--jobs', 'a'])).toThrow(
      /^unknown option --jobs; did you mean --job\? \(radar-netflows help\)$/,
    );
    expect(() => parseCommandLine(['onse'])).toThrow(/unknown command "onse"; did you mean once\?/);
    expect(() => parseCommandLine(['once', '-c'])).toThrow(/^--config needs a value/);
    expect(() => parseCommandLine(['once', 'extra'])).toThrow(/unexpected argument "extra"/);
  });
});

describe('parseTimeArg', () => {
  const now = Date.parse('2026-11-27T12:00:00Z');
  test.each([
    ['2025-01-01', Date.parse('2025-01-01T00:00:00Z')],
    ['2025-01-01T06:30:00Z', Date.parse('2025-01-01T06:30:00Z')],
    ['2025-01-01T06:30:00+02:00', Date.parse('2025-01-01T04:30:00Z')],
    ['now', now],
    ['365d', now - 365 * 86_400_000],
    ['2w', now - 14 * 86_400_000],
    ['6h', now - 6 * 3_600_000],
  ])('%s', (text, expected) => {
    expect(parseTimeArg('--from', text, now)).toBe(expected);
  });

  test('refuses anything else, naming the option', () => {
    expect(() => parseTimeArg('--to', '2025-13-45', now)).toThrow(/--to "2025-13-45" is not a time/);
    expect(() => parseTimeArg('--from', 'yesterday', now)).toThrow(UsageError);
  });
});

describe('help and version, as operators expect them', () => {
  test('help per command: help once and once --help; -v; -c', () => {
    expect(parseCommandLine(['help', 'once'])).toMatchObject({ command: 'help', helpFor: 'once' });
    expect(parseCommandLine(['once', '--help'])).toMatchObject({ command: 'help', helpFor: 'once' });
    expect(parseCommandLine(['help']).helpFor).toBeUndefined();
    expect(parseCommandLine(['-v']).command).toBe('version');
    expect(parseCommandLine(['status', '-c', 'x.yaml']).config).toBe('x.yaml');
    const help = commandHelp('backfill');
    expect(help).toMatch(/^Usage: radar-netflows backfill \[options\]/);
    expect(help).toMatch(/--from <time> +backfill start/);
    expect(help).toMatch(/--config <file>/);
    expect(help).not.toMatch(/--replay/);
  });
});
