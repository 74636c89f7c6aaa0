/**
 * A compose file of the checkout (docker-compose.yml, or docker-compose.influxdb3.yml) as
 * docker-compose itself resolves it (its `config` command: no Docker engine needed), with `dotEnv` as
 * the .env it reads.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './cli.js';

export type ComposeService = Record<string, unknown> & {
  environment: Record<string, string>;
  volumes?: string[];
  secrets?: { source: string }[];
  depends_on?: Record<string, { condition: string }>;
};

export interface ResolvedCompose {
  /** What `config` printed. */
  text: string;
  /** Each service, its environment as the container gets it. */
  services: Record<string, ComposeService>;
  secrets: Record<string, { file: string }>;
}

export function resolvedCompose(
  dotEnv: Record<string, string> = {},
  file = 'docker-compose.yml',
): ResolvedCompose {
  const envFile = join(mkdtempSync(join(tmpdir(), 'compose-')), 'env');
  writeFileSync(
    envFile,
    Object.entries(dotEnv)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  );
  const text = execFileSync('docker-compose', ['--env-file', envFile, '-f', join(ROOT, file), 'config'], {
    env: { PATH: process.env.PATH },
    encoding: 'utf8',
  });
  const resolved = parse(text) as Omit<ResolvedCompose, 'text'>;
  // `config` writes a `$` of a value as compose's escape `$$`; the container gets one `$`.
  for (const service of Object.values(resolved.services))
    service.environment = Object.fromEntries(
      Object.entries(service.environment ?? {}).map(([k, v]) => [k, String(v).replaceAll('$$', '$')]),
    );
  return { text, ...resolved };
}
