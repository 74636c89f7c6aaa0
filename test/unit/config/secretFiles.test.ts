import { describe, expect, test } from '@jest/globals';
import { withSecretFiles } from '../../../src/config/secretFiles.js';
import { UsageError } from '../../../src/errors.js';

/** A file system of a few files; anything else is missing, as readFileSync says it. */
function files(contents: Record<string, string | NodeJS.ErrnoException>) {
  return (path: string): string => {
    const found = contents[path];
    if (found === undefined)
      throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    if (typeof found !== 'string') throw found;
    return found;
  };
}
const denied = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });

function problemsOf(env: NodeJS.ProcessEnv, read: (path: string) => string): string {
  try {
    withSecretFiles(env, read);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('no error');
}

describe('secrets from files', () => {
  test('NAME_FILE fills NAME, one trailing line break dropped; a set NAME is left alone', () => {
    const env = withSecretFiles(
      {
        CLOUDFLARE_API_TOKEN_FILE: '/run/secrets/cf',
        INFLUX_TOKEN_FILE: '/run/secrets/influx',
        INFLUX_PASSWORD: 'given',
      },
      files({ '/run/secrets/cf': 'cf-secret\n', '/run/secrets/influx': 'influx-secret\r\n' }),
    );
    expect(env).toMatchObject({
      CLOUDFLARE_API_TOKEN: 'cf-secret',
      INFLUX_TOKEN: 'influx-secret',
      INFLUX_PASSWORD: 'given',
    });
  });

  test('systemd credentials: $CREDENTIALS_DIRECTORY/NAME when neither NAME nor NAME_FILE is set; absent ones are no mistake', () => {
    const env = withSecretFiles(
      { CREDENTIALS_DIRECTORY: '/run/credentials/radar-netflows.service', INFLUX_TOKEN: 'from-env' },
      files({
        '/run/credentials/radar-netflows.service/CLOUDFLARE_API_TOKEN': 'cred-secret',
        '/run/credentials/radar-netflows.service/INFLUX_TOKEN': 'ignored: the environment wins',
      }),
    );
    expect(env.CLOUDFLARE_API_TOKEN).toBe('cred-secret');
    expect(env.INFLUX_TOKEN).toBe('from-env');
    expect(env.INFLUX_PASSWORD).toBeUndefined();
  });

  test('every problem at once, each naming the variable and the path, none showing a secret', () => {
    const message = problemsOf(
      {
        CLOUDFLARE_API_TOKEN: 'cf-secret-in-env',
        CLOUDFLARE_API_TOKEN_FILE: '/run/secrets/cf',
        INFLUX_TOKEN_FILE: '/run/secrets/missing',
        INFLUX_PASSWORD_FILE: '/run/secrets/empty',
        CLOUDFLARE_API_KEY_FILE: '/run/secrets/locked',
      },
      files({
        '/run/secrets/cf': 'cf-secret-in-file',
        '/run/secrets/empty': '\n',
        '/run/secrets/locked': denied,
      }),
    );
    expect(message.split('\n').sort()).toEqual([
      'CLOUDFLARE_API_TOKEN and CLOUDFLARE_API_TOKEN_FILE are both set: keep one',
      'INFLUX_PASSWORD_FILE (/run/secrets/empty) is empty: it must hold the secret alone',
      expect.stringMatching(/^cannot read CLOUDFLARE_API_KEY_FILE \(\/run\/secrets\/locked\): .*permission/),
      expect.stringMatching(/^cannot read INFLUX_TOKEN_FILE \(\/run\/secrets\/missing\): /),
    ]);
    expect(message).not.toMatch(/cf-secret/);
  });

  test('a file of several lines is refused without showing them', () => {
    const message = problemsOf(
      { INFLUX_TOKEN_FILE: '/run/secrets/two' },
      files({ '/run/secrets/two': 'INFLUX_TOKEN=abc\nother=def\n' }),
    );
    expect(message).toBe(
      'INFLUX_TOKEN_FILE (/run/secrets/two) holds more than one line: it must hold the secret alone',
    );
  });
});
