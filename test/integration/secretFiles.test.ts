import { describe, expect, test } from '@jest/globals';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../harness/cli.js';
import { useStack } from '../harness/stack.js';

describe('secrets from files (Docker secrets, systemd credentials)', () => {
  const stack = useStack('secret_files', { fixedHorizon: true });
  const { sim, influx } = stack;
  const config = () =>
    stack.writeConfig(`
radar: { retryDelayMs: 20 }
jobs:
  - { name: filed, dimensions: [PRODUCT], intervals: [1h], lookback: 1d }
`);

  test('CLOUDFLARE_API_TOKEN_FILE and a systemd credential carry the token; Radar gets it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secrets-'));
    const file = join(dir, 'cloudflare-token');
    writeFileSync(file, `${sim.token}\n`, { mode: 0o600 });
    const viaFile = await runCli(
      ['once', '--config', config()],
      stack.env({ CLOUDFLARE_API_TOKEN: '', CLOUDFLARE_API_TOKEN_FILE: file }),
    );
    expect([viaFile.code, viaFile.stderr]).toEqual([0, expect.stringContaining('1 ok, 0 failed')]);

    const credentials = join(dir, 'credentials');
    mkdirSync(credentials, { mode: 0o700 });
    writeFileSync(join(credentials, 'CLOUDFLARE_API_TOKEN'), sim.token, { mode: 0o400 });
    const viaCredential = await runCli(
      ['once', '--config', config()],
      stack.env({ CLOUDFLARE_API_TOKEN: '', CREDENTIALS_DIRECTORY: credentials }),
    );
    expect([viaCredential.code, viaCredential.stderr]).toEqual([
      0,
      expect.stringContaining('1 ok, 0 failed'),
    ]);
    expect(sim.served.length).toBeGreaterThan(0);
    expect(
      (await influx.query('SELECT count("value") FROM "radar_netflows" WHERE "job" = \'filed\'', stack.db))[0]
        ?.count,
    ).toBeGreaterThan(0);
  });

  test('a missing or unreadable secret file stops the command at start (exit 2), naming the variable and the path, never the content', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secrets-'));
    const locked = join(dir, 'locked');
    writeFileSync(locked, 'top-secret-value\n');
    chmodSync(locked, 0o000);
    const both = join(dir, 'both');
    writeFileSync(both, 'another-secret\n');
    const result = await runCli(
      ['once', '--config', config()],
      stack.env({
        INFLUX_TOKEN_FILE: join(dir, 'missing'),
        CLOUDFLARE_API_TOKEN_FILE: both,
        INFLUX_PASSWORD_FILE: locked,
      }),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`cannot read INFLUX_TOKEN_FILE (${join(dir, 'missing')}): `);
    expect(result.stderr).toContain(
      'CLOUDFLARE_API_TOKEN and CLOUDFLARE_API_TOKEN_FILE are both set: keep one',
    );
    // As root the mode does not stop the read: then the file is read, and its content used, not shown.
    if (process.getuid?.() !== 0)
      expect(result.stderr).toContain(`cannot read INFLUX_PASSWORD_FILE (${locked})`);
    expect(result.stderr).not.toMatch(/top-secret|another-secret|\n\s+at /);
    expect(sim.served).toEqual([]);
  });
});
