import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeFsError, UsageError } from '../errors.js';

/**
 * The secrets that may come from a file instead of the environment: `NAME_FILE=/run/secrets/…`
 * (Docker and Kubernetes secrets), or a systemd credential named NAME (`LoadCredential=NAME:/path`,
 * read from $CREDENTIALS_DIRECTORY/NAME).
 */
export const SECRET_VARIABLES = [
  'CLOUDFLARE_API_TOKEN',
  'CLOUDFLARE_API_KEY',
  'INFLUX_TOKEN',
  'INFLUX_PASSWORD',
] as const;

type ReadFile = (path: string) => string;
const readText: ReadFile = (path) => readFileSync(path, 'utf8');

/**
 * The environment with each secret filled in from its file: NAME as it is when set, else NAME_FILE's
 * file, else the systemd credential NAME. Setting both NAME and NAME_FILE is refused (which one would
 * win is a guess), and so is a file that cannot be read or is empty; every problem at once, each
 * naming the variable and the path, never the content. One trailing line break is dropped (what
 * `echo … > file` leaves).
 */
export function withSecretFiles(env: NodeJS.ProcessEnv, read: ReadFile = readText): NodeJS.ProcessEnv {
  const set = (name: string) => env[name] !== undefined && env[name] !== '';
  const out: NodeJS.ProcessEnv = { ...env };
  const problems: string[] = [];
  for (const name of SECRET_VARIABLES) {
    const fileVariable = `${name}_FILE`;
    let source: { path: string; what: string } | undefined;
    if (set(fileVariable)) {
      if (set(name)) {
        problems.push(`${name} and ${fileVariable} are both set: keep one`);
        continue;
      }
      source = { path: env[fileVariable]!, what: `${fileVariable} (${env[fileVariable]})` };
    } else if (!set(name) && set('CREDENTIALS_DIRECTORY')) {
      const path = join(env.CREDENTIALS_DIRECTORY!, name);
      source = { path, what: `the systemd credential ${name} (${path})` };
    }
    if (!source) continue;
    let text: string;
    try {
      text = read(source.path);
    } catch (error) {
      // A credential that was not loaded is no mistake: that secret simply comes from elsewhere.
      if (source.what.startsWith('the systemd') && (error as NodeJS.ErrnoException).code === 'ENOENT')
        continue;
      problems.push(`cannot read ${source.what}: ${describeFsError(error)}`);
      continue;
    }
    const value = text.replace(/\r?\n$/, '');
    if (value === '' || /[\r\n]/.test(value)) {
      problems.push(
        `${source.what} ${value === '' ? 'is empty' : 'holds more than one line'}: it must hold the secret alone`,
      );
      continue;
    }
    out[name] = value;
  }
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  return out;
}
