/**
 * The deployment files against the real tools that can run here: docker-compose's own parser, the
 * compose set-up script against a stand-in `influx` CLI, systemd-analyze on the unit, and the service
 * run under the unit's restrictions as far as they apply without a booted systemd (say which below).
 */
import { describe, expect, test } from '@jest/globals';
import { execFile, execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  realpathSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_GRACE_MS } from '../../src/config/settings.js';
import { parseDuration } from '../../src/config/duration.js';
import { BIN, ROOT } from '../harness/cli.js';
import { resolvedCompose, type ComposeService } from '../harness/compose.js';
import { fakeInfluxCli, type InfluxState } from '../harness/fakeInfluxCli.js';
import { useStack } from '../harness/stack.js';
import { parse } from 'yaml';

const run = promisify(execFile);
const UNIT = join(ROOT, 'deploy', 'radar-netflows.service');
const SETUP = join(ROOT, 'deploy', 'influxdb-setup', 'ensure-access.sh');
const MAKE_SECRETS = join(ROOT, 'deploy', 'make-secrets.sh');

/**
 * Values an earlier compose file read from .env as environment variables, each a sentinel: the
 * resolved config must hold none of them, so that no secret reaches a container's environment.
 */
const OLD_ENV_SECRETS = {
  CLOUDFLARE_API_TOKEN: 'sentinel-cloudflare-token',
  INFLUX_ADMIN_PASSWORD: 'sentinel-admin-password',
  INFLUX_TOKEN: 'sentinel-admin-token',
  GRAFANA_INFLUX_PASSWORD: 'sentinel-grafana-influx',
  GRAFANA_ADMIN_PASSWORD: 'sentinel-grafana-admin',
};

/** Where a service mounts a named volume, and how ("rw"/"ro"). */
function volumeMount(service: ComposeService, volume: string): { target: string; mode: string } | undefined {
  for (const entry of service.volumes ?? []) {
    const [source, target, mode] = entry.split(':');
    if (source === volume) return { target: target!, mode: mode ?? 'rw' };
  }
  return undefined;
}

describe('docker-compose', () => {
  test('the service gets longer than its grace to stop before the SIGKILL; every container log is rotated', () => {
    const { services } = resolvedCompose(OLD_ENV_SECRETS);
    const grace = parseDuration(String(services['radar-netflows']!.stop_grace_period));
    expect(grace).toBeGreaterThan(DEFAULT_GRACE_MS);
    for (const [name, service] of Object.entries(services))
      expect([name, service.logging]).toEqual([
        name,
        {
          driver: 'json-file',
          options: { 'max-size': expect.stringMatching(/^\d+m$/), 'max-file': expect.any(String) },
        },
      ]);
  });

  test("Grafana's InfluxDB login and the service's token are made on every up, before either starts, by a script run with bash (no exec bit needed)", () => {
    const { services } = resolvedCompose(OLD_ENV_SECRETS);
    const setup = services['influxdb-setup']!;
    expect(setup.image).toBe(services.influxdb!.image);
    expect(setup.entrypoint).toEqual(['bash', '/setup/ensure-access.sh']);
    expect(setup.volumes).toContain(`${join(ROOT, 'deploy', 'influxdb-setup')}:/setup:ro`);
    for (const name of ['grafana', 'radar-netflows'])
      expect([name, services[name]!.depends_on!['influxdb-setup']]).toEqual([
        name,
        { condition: 'service_completed_successfully' },
      ]);
    expect(statSync(SETUP).mode & 0o111).toBe(0); // the script works without its exec bit
  });

  test('secrets are Docker secrets from ./secrets: none reaches an environment, even from an old .env; the service writes with the write-only token, never the admin one', () => {
    const { text, services, secrets } = resolvedCompose(OLD_ENV_SECRETS);
    for (const value of Object.values(OLD_ENV_SECRETS)) expect(text).not.toContain(value);
    for (const [name, secret] of Object.entries(secrets))
      expect([name, secret.file]).toEqual([name, join(ROOT, 'secrets', name)]);
    const used = (service: string) => (services[service]!.secrets ?? []).map((s) => s.source).sort();
    expect(used('influxdb')).toEqual(['influx_admin_password', 'influx_admin_token']);
    expect(used('influxdb-setup')).toEqual(['grafana_influx_password', 'influx_admin_token']);
    expect(used('radar-netflows')).toEqual(['cloudflare_api_token']);
    expect(used('grafana')).toEqual(['grafana_admin_password', 'grafana_influx_password']);
    // Every *_FILE of an environment names a file the service can read: one of its secrets, or the
    // writer token in a volume.
    const service = services['radar-netflows']!;
    expect(service.environment).toMatchObject({
      CLOUDFLARE_API_TOKEN_FILE: '/run/secrets/cloudflare_api_token',
    });
    expect(Object.keys(service.environment).filter((k) => /TOKEN$|PASSWORD$|KEY$/.test(k))).toEqual([]);
    const setup = services['influxdb-setup']!;
    const written = setup.environment.WRITER_TOKEN_FILE!;
    const setupMount = volumeMount(setup, 'influxdb-writer')!;
    const serviceMount = volumeMount(service, 'influxdb-writer')!;
    expect(setupMount.mode).toBe('rw');
    expect(serviceMount.mode).toBe('ro');
    expect(relative(setupMount.target, written)).toBe(
      relative(serviceMount.target, service.environment.INFLUX_TOKEN_FILE!),
    );
    expect(dirname(written)).toBe(setupMount.target);
    // Only the two of them mount it.
    expect(Object.keys(services).filter((name) => volumeMount(services[name]!, 'influxdb-writer'))).toEqual([
      'influxdb-setup',
      'radar-netflows',
    ]);
  });
});

describe('docker-compose.influxdb3.yml, the stack on InfluxDB 3 Core', () => {
  const main = () => resolvedCompose(OLD_ENV_SECRETS);
  const v3 = () => resolvedCompose(OLD_ENV_SECRETS, 'docker-compose.influxdb3.yml');
  const secretsOf = (service: ComposeService) => (service.secrets ?? []).map((s) => s.source).sort();

  test("docker-compose accepts it; radar-netflows and Grafana are the default stack's but for where InfluxDB is and how they log in", () => {
    const { services } = v3();
    const base = main().services;
    expect(Object.keys(services).sort()).toEqual(['grafana', 'influxdb3', 'radar-netflows']);
    // Keys that may differ: what points at InfluxDB (environment, secrets, dependencies) and the
    // volumes, which have their own names. Everything else is the same, so the two files cannot drift.
    const rest = ({ environment: _e, secrets: _s, depends_on: _d, volumes: _v, ...others }: ComposeService) =>
      others;
    for (const name of ['radar-netflows', 'grafana'])
      expect([name, rest(services[name]!)]).toEqual([name, rest(base[name]!)]);
    const bindMounts = (service: ComposeService) => (service.volumes ?? []).filter((v) => v.startsWith('/'));
    expect(bindMounts(services.grafana!)).toEqual(bindMounts(base.grafana!));
    const same = ['LOG_LEVEL', 'STATE_DIR', 'HTTP_LISTEN', 'CLOUDFLARE_API_TOKEN_FILE'];
    for (const key of same)
      expect([key, services['radar-netflows']!.environment[key]]).toEqual([
        key,
        base['radar-netflows']!.environment[key],
      ]);
  });

  test("its own volumes, so the 2.9 stack's checkpoints never meet a database that does not hold their data", () => {
    const named = (compose: ReturnType<typeof main>) =>
      Object.values(compose.services).flatMap((s) =>
        (s.volumes ?? []).map((v) => v.split(':')[0]!).filter((v) => !v.startsWith('/')),
      );
    const mine = named(v3());
    expect(mine).toEqual(
      expect.arrayContaining(['influxdb3-data', 'radar-state-influxdb3', 'grafana-data-influxdb3']),
    );
    for (const volume of named(main())) expect(mine).not.toContain(volume);
  });

  test('Core gets its admin token as the JSON file it reads; the service and Grafana send the same token; no secret in an environment', () => {
    const { text, services, secrets } = v3();
    for (const value of Object.values(OLD_ENV_SECRETS)) expect(text).not.toContain(value);
    for (const [name, secret] of Object.entries(secrets))
      expect([name, secret.file]).toEqual([name, join(ROOT, 'secrets', name)]);
    const core = services.influxdb3!;
    expect(secretsOf(core)).toEqual(['influxdb3_admin_token.json']);
    expect(core.environment.INFLUXDB3_ADMIN_TOKEN_FILE).toBe('/run/secrets/influxdb3_admin_token.json');
    const service = services['radar-netflows']!;
    expect(secretsOf(service)).toEqual(['cloudflare_api_token', 'influxdb3_admin_token']);
    expect(service.environment.INFLUX_TOKEN_FILE).toBe('/run/secrets/influxdb3_admin_token');
    const grafana = services.grafana!;
    expect(secretsOf(grafana)).toEqual(['grafana_admin_password', 'influxdb3_admin_token']);
    expect(grafana.environment.GRAFANA_INFLUX_PASSWORD).toBe('$__file{/run/secrets/influxdb3_admin_token}');
    for (const one of Object.values(services))
      expect(
        Object.keys(one.environment).filter(
          (k) => /TOKEN$|PASSWORD$|KEY$/.test(k) && k !== 'GRAFANA_INFLUX_PASSWORD',
        ),
      ).toEqual([]);
    // One database: where the service writes is what Grafana queries.
    expect(service.environment.INFLUX_BUCKET).toBe(grafana.environment.INFLUX_DATABASE);
    expect(service.environment.INFLUX_BUCKET).toBe('radar');
  });

  test("Core's port, health check without a token, and a query-file limit for two years of the dashboards' data", () => {
    const { services } = v3();
    const core = services.influxdb3!;
    // The entrypoint's `influxdb3 serve` listens on 8181 (DEFAULT_HTTP_BIND_ADDR); both clients go there.
    for (const url of [
      services['radar-netflows']!.environment.INFLUX_URL,
      services.grafana!.environment.GRAFANA_INFLUX_URL,
    ])
      expect(url).toBe('http://influxdb3:8181');
    expect(core.environment.INFLUXDB3_DISABLE_AUTHZ!.split(',')).toContain('health');
    expect((core.healthcheck as { test: string[] }).test.join(' ')).toContain('http://127.0.0.1:8181/health');
    // A 10-minute gen1 file per table per 10 minutes of 15-minute data: 144 a day.
    expect(Number(core.environment.INFLUXDB3_QUERY_FILE_LIMIT)).toBeGreaterThanOrEqual(2 * 365 * 144);
    expect(
      Number(
        resolvedCompose({ INFLUXDB3_QUERY_FILE_LIMIT: '9000' }, 'docker-compose.influxdb3.yml').services
          .influxdb3!.environment.INFLUXDB3_QUERY_FILE_LIMIT,
      ),
    ).toBe(9000);
    for (const [name, one] of Object.entries(services))
      expect([name, one.depends_on?.influxdb3 ?? 'none']).toEqual([
        name,
        name === 'influxdb3' ? 'none' : { condition: 'service_healthy' },
      ]);
  });
});

describe('deploy/make-secrets.sh', () => {
  /** A checkout's layout: the script under deploy/, and what it writes in secrets/ beside it. */
  const checkout = (dotEnv?: string) => {
    const root = mkdtempSync(join(tmpdir(), 'secrets-'));
    mkdirSync(join(root, 'deploy'));
    copyFileSync(MAKE_SECRETS, join(root, 'deploy', 'make-secrets.sh'));
    if (dotEnv !== undefined) writeFileSync(join(root, '.env'), dotEnv);
    return root;
  };
  const make = (root: string, env: Record<string, string> = {}) =>
    run('bash', [join(root, 'deploy', 'make-secrets.sh')], { env: { PATH: process.env.PATH, ...env } });
  const secret = (root: string, name: string) => readFileSync(join(root, 'secrets', name), 'utf8');

  test('writes every secret compose declares, generating all but the Radar token; kept on the next run; never printed', async () => {
    const root = checkout();
    const first = await make(root, { CLOUDFLARE_API_TOKEN: 'cf-token-1' });
    const names = [
      ...new Set(
        ['docker-compose.yml', 'docker-compose.influxdb3.yml'].flatMap((file) =>
          Object.keys(resolvedCompose(OLD_ENV_SECRETS, file).secrets),
        ),
      ),
    ].sort();
    expect(readdirSync(join(root, 'secrets')).sort()).toEqual(names);
    expect(statSync(join(root, 'secrets')).mode & 0o777).toBe(0o700);
    for (const name of names)
      expect([name, statSync(join(root, 'secrets', name)).mode & 0o777]).toEqual([name, 0o644]);
    expect(secret(root, 'cloudflare_api_token')).toBe('cf-token-1\n');
    // InfluxDB 3's admin token, in the form Core makes its own, and the JSON file Core reads it from.
    const token3 = secret(root, 'influxdb3_admin_token');
    expect(token3).toMatch(/^apiv3_[0-9a-f]{128}\n$/);
    expect(JSON.parse(secret(root, 'influxdb3_admin_token.json'))).toEqual({
      token: token3.trim(),
      name: '_admin',
    });
    const generated = names
      .filter(
        (n) => !['cloudflare_api_token', 'influxdb3_admin_token', 'influxdb3_admin_token.json'].includes(n),
      )
      .map((n) => secret(root, n));
    for (const value of generated) expect(value).toMatch(/^[0-9a-f]{64}\n$/);
    expect(new Set(generated).size).toBe(generated.length);
    const second = await make(root, { CLOUDFLARE_API_TOKEN: 'cf-token-2' });
    expect(second.stdout).toMatch(/secrets\/cloudflare_api_token exists; kept/);
    expect(secret(root, 'cloudflare_api_token')).toBe('cf-token-1\n');
    expect(secret(root, 'influxdb3_admin_token')).toBe(token3);
    for (const out of [first, second])
      for (const value of ['cf-token-1', 'cf-token-2', token3.trim(), ...generated.map((v) => v.trim())])
        expect(out.stdout + out.stderr).not.toContain(value);
  });

  test("InfluxDB 3's token: one of the operator's own is taken (the JSON follows it); one Core would refuse is exit 2", async () => {
    const root = checkout();
    await make(root, { CLOUDFLARE_API_TOKEN: 'cf', INFLUXDB3_ADMIN_TOKEN: 'apiv3_mine' });
    expect(JSON.parse(secret(root, 'influxdb3_admin_token.json'))).toEqual({
      token: 'apiv3_mine',
      name: '_admin',
    });
    // The operator replaces the token file: the JSON is made again from it, never left behind.
    const later = new Date(Date.now() + 5_000);
    writeFileSync(join(root, 'secrets', 'influxdb3_admin_token'), 'apiv3_other\n');
    utimesSync(join(root, 'secrets', 'influxdb3_admin_token'), later, later);
    await make(root);
    expect(JSON.parse(secret(root, 'influxdb3_admin_token.json'))).toEqual({
      token: 'apiv3_other',
      name: '_admin',
    });
    for (const bad of ['not-apiv3', 'apiv3_"quoted"']) {
      const other = checkout();
      await expect(
        make(other, { CLOUDFLARE_API_TOKEN: 'cf', INFLUXDB3_ADMIN_TOKEN: bad }),
      ).rejects.toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/secrets\/influxdb3_admin_token must/),
      });
      expect(readdirSync(join(other, 'secrets'))).not.toContain('influxdb3_admin_token.json');
    }
  });

  test("an earlier compose file's .env gives its values (the InfluxDB volume was set up with them); no Radar token is exit 2 saying how", async () => {
    const root = checkout(
      '# old\nCLOUDFLARE_API_TOKEN=cf-from-env\nINFLUX_TOKEN="admin-from-env"\nINFLUX_ADMIN_PASSWORD=\nGRAFANA_INFLUX_PASSWORD=gi-from-env\nGRAFANA_ADMIN_PASSWORD=\'ga-from-env\'\n',
    );
    const out = await make(root);
    expect(secret(root, 'cloudflare_api_token')).toBe('cf-from-env\n');
    expect(secret(root, 'influx_admin_token')).toBe('admin-from-env\n');
    expect(secret(root, 'grafana_influx_password')).toBe('gi-from-env\n');
    expect(secret(root, 'grafana_admin_password')).toBe('ga-from-env\n');
    expect(secret(root, 'influx_admin_password')).toMatch(/^[0-9a-f]{64}\n$/); // empty in .env
    expect(out.stdout).toMatch(/secrets\/influx_admin_token from INFLUX_TOKEN in \.env/);
    const none = checkout();
    await expect(make(none)).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('CLOUDFLARE_API_TOKEN=<token> bash deploy/make-secrets.sh'),
    });
  });
});

describe('deploy/make-secrets.sh reads .env as docker-compose does', () => {
  const VARS: Record<string, string> = {
    CLOUDFLARE_API_TOKEN: 'cloudflare_api_token',
    INFLUX_TOKEN: 'influx_admin_token',
    INFLUX_ADMIN_PASSWORD: 'influx_admin_password',
    GRAFANA_INFLUX_PASSWORD: 'grafana_influx_password',
    GRAFANA_ADMIN_PASSWORD: 'grafana_admin_password',
  };
  /** What docker-compose (the real one, `config`) makes of each variable of the .env in `root`. */
  const composeReads = (root: string): Record<string, string> => {
    const file = join(root, 'probe.yml');
    writeFileSync(
      file,
      `version: "3.8"\nservices:\n  probe:\n    image: busybox\n    environment:\n` +
        Object.keys(VARS)
          .map((v) => `      ${v}: "\${${v}}"\n`)
          .join(''),
    );
    const text = execFileSync('docker-compose', ['--project-directory', root, '-f', file, 'config'], {
      env: { PATH: process.env.PATH },
      encoding: 'utf8',
    });
    return (parse(text) as { services: { probe: { environment: Record<string, string> } } }).services.probe
      .environment;
  };

  test('an inline comment, trailing blanks, escaped and single quotes, export: each secret is what compose reads', async () => {
    const root = mkdtempSync(join(tmpdir(), 'dotenv-'));
    mkdirSync(join(root, 'deploy'));
    copyFileSync(MAKE_SECRETS, join(root, 'deploy', 'make-secrets.sh'));
    writeFileSync(
      join(root, '.env'),
      [
        'CLOUDFLARE_API_TOKEN=cf-tok # the Radar token',
        'INFLUX_TOKEN=admin-tok   ',
        'INFLUX_ADMIN_PASSWORD="with \\"quote\\" inside"',
        "export GRAFANA_INFLUX_PASSWORD='single # not a comment'",
        'GRAFANA_ADMIN_PASSWORD = plain#nocomment',
        '',
      ].join('\n'),
    );
    await run('bash', [join(root, 'deploy', 'make-secrets.sh')], { env: { PATH: process.env.PATH } });
    const compose = composeReads(root);
    for (const [variable, file] of Object.entries(VARS))
      expect([variable, readFileSync(join(root, 'secrets', file), 'utf8')]).toEqual([
        variable,
        `${compose[variable]}\n`,
      ]);
  });

  test('a secrets file holding only a newline is refused (exit 2), not kept as an empty secret', async () => {
    const root = mkdtempSync(join(tmpdir(), 'dotenv-'));
    mkdirSync(join(root, 'deploy'));
    mkdirSync(join(root, 'secrets'));
    copyFileSync(MAKE_SECRETS, join(root, 'deploy', 'make-secrets.sh'));
    writeFileSync(join(root, 'secrets', 'influx_admin_password'), '\n');
    await expect(
      run('bash', [join(root, 'deploy', 'make-secrets.sh')], {
        env: { PATH: process.env.PATH, CLOUDFLARE_API_TOKEN: 'cf' },
      }),
    ).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('secrets/influx_admin_password is empty'),
    });
  });
});

describe('the compose set-up script, against a stand-in influx CLI', () => {
  const env = (cli: { bin: string; stateFile: string }, extra: Record<string, string> = {}) => ({
    PATH: `${cli.bin}:${process.env.PATH}`,
    FAKE_INFLUX_STATE: cli.stateFile,
    INFLUX_HOST: 'http://influxdb:8086',
    INFLUX_TOKEN: 'admin-token',
    INFLUX_ORG: 'radar',
    INFLUX_BUCKET: 'radar',
    INFLUX_DATABASE: 'radar',
    GRAFANA_INFLUX_USER: 'grafana',
    GRAFANA_INFLUX_PASSWORD: 'grafana-secret-1',
    WRITER_TOKEN_FILE: join(mkdtempSync(join(tmpdir(), 'writer-')), 'token'),
    ...extra,
  });
  const fresh = (): InfluxState => ({
    token: 'admin-token',
    buckets: [{ id: 'b0001', name: 'radar' }],
    dbrps: [],
    auths: [],
  });
  const setup = (cli: ReturnType<typeof fakeInfluxCli>, extra?: Record<string, string>) =>
    run('bash', [SETUP], { env: env(cli, extra) });

  test('first start: maps the database and creates the read-only login; the next start creates nothing and keeps the password', async () => {
    const cli = fakeInfluxCli(fresh());
    const first = await setup(cli);
    expect(first.stdout).toMatch(/mapped the InfluxQL database radar to the bucket radar/);
    expect(first.stdout).toMatch(/created Grafana's read-only login grafana/);
    expect(cli.state()).toMatchObject({
      dbrps: [{ db: 'radar', bucketId: 'b0001' }],
      auths: [{ username: 'grafana', password: 'grafana-secret-1', readBucket: 'b0001' }],
    });
    const second = await setup(cli, { GRAFANA_INFLUX_PASSWORD: 'grafana-secret-2' });
    expect(second.stdout).toMatch(/already maps/);
    expect(second.stdout).toMatch(/login grafana exists; its password set/);
    expect(cli.state().dbrps).toHaveLength(1);
    expect(cli.state().auths).toEqual([
      { username: 'grafana', password: 'grafana-secret-2', readBucket: 'b0001' },
    ]);
    for (const out of [first, second]) expect(out.stdout + out.stderr).not.toMatch(/grafana-secret/);
    // Never on a command line (/proc/<pid>/cmdline is any user's to read): on standard input.
    expect(cli.calls().flat().join(' ')).not.toMatch(/grafana-secret/);
  });

  test("the service's token may write to the bucket only; made once, kept while it exists, written again into a new volume", async () => {
    const cli = fakeInfluxCli(fresh());
    const volume = mkdtempSync(join(tmpdir(), 'writer-'));
    const file = join(volume, 'token');
    const first = await setup(cli, { WRITER_TOKEN_FILE: file });
    expect(first.stdout).toMatch(/created radar-netflows' write-only token for the bucket radar/);
    expect(cli.state().tokens).toEqual([
      {
        id: 'a0001',
        description: 'radar-netflows writes to the bucket radar',
        token: 'write-token-1',
        writeBucket: 'b0001',
      },
    ]);
    expect(readFileSync(file, 'utf8')).toBe('write-token-1\n');
    expect(statSync(file).mode & 0o777).toBe(0o644);
    const second = await setup(cli, { WRITER_TOKEN_FILE: file });
    expect(second.stdout).toMatch(/write-only token for the bucket radar exists; kept/);
    // A new volume (docker compose down -v of that volume alone): the same token, no second one.
    const other = join(mkdtempSync(join(tmpdir(), 'writer-')), 'token');
    const third = await setup(cli, { WRITER_TOKEN_FILE: other });
    expect(third.stdout).toMatch(/exists; written again/);
    expect(readFileSync(other, 'utf8')).toBe('write-token-1\n');
    expect(cli.state().tokens).toHaveLength(1);
    expect(cli.calls().filter((c) => c[0] === 'auth' && c[1] === 'create')).toHaveLength(1);
    for (const out of [first, second, third])
      expect(out.stdout + out.stderr).not.toMatch(/write-token|admin-token/);
  });

  test("InfluxDB 2.9's hashed tokens: the writer's token is kept across ups, and a new volume's replaces the old one", async () => {
    const cli = fakeInfluxCli({ ...fresh(), hashedTokens: true });
    const file = join(mkdtempSync(join(tmpdir(), 'writer-')), 'token');
    const first = await setup(cli, { WRITER_TOKEN_FILE: file });
    expect(first.stdout).toMatch(/created radar-netflows' write-only token/);
    expect(readFileSync(file, 'utf8')).toBe('write-token-1\n');
    const second = await setup(cli, { WRITER_TOKEN_FILE: file });
    expect(second.stdout).toMatch(/exists \(tokens are hashed\); kept/);
    expect(cli.state().tokens).toHaveLength(1);
    // A new volume: the old token cannot be read back; a new one is made and the old one removed.
    const other = join(mkdtempSync(join(tmpdir(), 'writer-')), 'token');
    await setup(cli, { WRITER_TOKEN_FILE: other });
    expect(readFileSync(other, 'utf8')).toBe('write-token-2\n');
    expect(cli.state().tokens!.map((t) => t.token)).toEqual(['write-token-2']);
  });

  test('secrets from files (Docker secrets): read from NAME_FILE; both set, or a file that cannot be read, is exit 2 naming it, never its content', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'run-secrets-'));
    writeFileSync(join(dir, 'admin'), 'admin-token\n');
    writeFileSync(join(dir, 'grafana'), 'grafana-from-file\n');
    const cli = fakeInfluxCli(fresh());
    await setup(cli, {
      INFLUX_TOKEN: '',
      INFLUX_TOKEN_FILE: join(dir, 'admin'),
      GRAFANA_INFLUX_PASSWORD: '',
      GRAFANA_INFLUX_PASSWORD_FILE: join(dir, 'grafana'),
    });
    expect(cli.state().auths).toEqual([
      { username: 'grafana', password: 'grafana-from-file', readBucket: 'b0001' },
    ]);
    await expect(setup(cli, { INFLUX_TOKEN_FILE: join(dir, 'admin') })).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('INFLUX_TOKEN and INFLUX_TOKEN_FILE are both set'),
    });
    const missing = join(dir, 'absent');
    const failed = setup(cli, { GRAFANA_INFLUX_PASSWORD: '', GRAFANA_INFLUX_PASSWORD_FILE: missing });
    await expect(failed).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining(`GRAFANA_INFLUX_PASSWORD_FILE names ${missing}, which cannot be read`),
    });
  });

  test('a volume set up by an earlier compose file (mapping, no login) gets the login; the old init-only script never ran again', async () => {
    const cli = fakeInfluxCli({ ...fresh(), dbrps: [{ db: 'radar', bucketId: 'b0001' }] });
    await setup(cli);
    expect(cli.state().auths.map((a) => a.username)).toEqual(['grafana']);
    expect(
      cli
        .calls()
        .filter((c) => c.includes('create'))
        .map((c) => c.slice(0, 3).join(' ')),
    ).toEqual(['v1 auth create', 'auth create --org']);
  });

  test('a missing bucket, a refused token or a missing variable fail the set-up (so Grafana does not start on it), saying which', async () => {
    const noBucket = fakeInfluxCli({ ...fresh(), buckets: [] });
    await expect(setup(noBucket)).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('no bucket radar in the organisation radar at http://influxdb:8086'),
    });
    const refused = fakeInfluxCli({ ...fresh(), token: 'another' });
    await expect(setup(refused)).rejects.toMatchObject({ stderr: expect.stringContaining('unauthorized') });
    const cli = fakeInfluxCli(fresh());
    await expect(setup(cli, { GRAFANA_INFLUX_PASSWORD: '' })).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('GRAFANA_INFLUX_PASSWORD is not set'),
    });
    expect(cli.calls()).toEqual([]);
  });
});

/** Whether a user with no rights but "others" can reach `path`: every directory above it searchable. */
function reachableByOthers(path: string): boolean {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    if (dir === dirname(dir)) return true;
  }
}

function copyForOthers(file: string, to: string): string {
  copyFileSync(file, to);
  chmodSync(to, 0o755);
  return to;
}

/** What the service needs to run (dist, its dependencies, package.json) copied under `to`. */
function copyAppForOthers(to: string): string {
  mkdirSync(to, { mode: 0o755 });
  execFileSync('cp', ['-a', join(ROOT, 'dist'), join(ROOT, 'node_modules'), join(ROOT, 'package.json'), to]);
  execFileSync('chmod', ['-R', 'o+rX', to]);
  return to;
}

/** The unit's value(s) of a setting. */
function unitSettings(name: string): string[] {
  return readFileSync(UNIT, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith(`${name}=`))
    .map((line) => line.slice(name.length + 1));
}

describe('the systemd unit', () => {
  test('systemd-analyze verify accepts it, and security --offline rates its exposure 2.0 or less', async () => {
    // verify checks that ExecStart's program exists: the node running this test stands in for /usr/bin/node.
    const dir = mkdtempSync(join(tmpdir(), 'unit-'));
    const unit = join(dir, 'radar-netflows.service');
    writeFileSync(
      unit,
      readFileSync(UNIT, 'utf8').replace('ExecStart=/usr/bin/node', `ExecStart=${process.execPath}`),
    );
    const verify = await run('systemd-analyze', ['verify', unit]);
    expect(verify.stderr.split('\n').filter((l) => l.includes('radar-netflows'))).toEqual([]);
    const security = await run('systemd-analyze', ['security', '--offline=true', unit]).catch(
      (error: { stdout: string }) => error,
    );
    const level = Number(
      /Overall exposure level for radar-netflows\.service: (\d+\.\d+)/.exec(security.stdout)![1],
    );
    expect(level).toBeLessThanOrEqual(2.0);
    // No hand-made user or symlink: systemd makes the user and the state directory.
    expect(unitSettings('DynamicUser')).toEqual(['yes']);
    expect(unitSettings('StateDirectory')).toEqual(['radar-netflows']);
    expect(unitSettings('ExecStart')[0]).toContain(
      '/opt/radar-netflows/lib/node_modules/radar-netflows/dist/cli/main.js',
    );
    expect(Number(unitSettings('TimeoutStopSec')[0])).toBeGreaterThan(DEFAULT_GRACE_MS / 1000);
  });

  describe('the service run under its restrictions', () => {
    const stack = useStack('unit', { fixedHorizon: true });

    /** The system calls a SystemCallFilter= list allows, groups expanded as systemd-analyze lists them. */
    function allowedSyscalls(): Set<string> {
      const groups = new Map<string, string[]>();
      let current: string[] | undefined;
      for (const line of execFileSync('systemd-analyze', ['syscall-filter'], { encoding: 'utf8' }).split(
        '\n',
      )) {
        if (line.startsWith('@')) groups.set(line.trim(), (current = []));
        else if (/^ {4}[@a-z0-9_]/.test(line)) current!.push(line.trim());
      }
      const expand = (name: string): string[] =>
        name.startsWith('@') ? (groups.get(name) ?? []).flatMap(expand) : [name];
      const allowed = new Set<string>();
      for (const filter of unitSettings('SystemCallFilter')) {
        const deny = filter.startsWith('~');
        for (const item of filter.replace(/^~/, '').split(/\s+/))
          for (const call of expand(item)) {
            if (deny) allowed.delete(call);
            else allowed.add(call);
          }
      }
      return allowed;
    }

    /*
     * Without a booted systemd (no systemd-run here), what can be applied is applied for real: an
     * unprivileged user (as DynamicUser gives), no capabilities at all (CapabilityBoundingSet=),
     * no_new_privs (NoNewPrivileges=) and umask 0077 (UMask=), via setpriv. The seccomp filter
     * (SystemCallFilter=) is checked instead of applied: every system call the service makes, traced
     * by strace, must be one the unit's filter allows; one outside it would be EPERM under systemd.
     * Not checked here: the mount namespace settings (ProtectSystem, PrivateTmp …), ProcSubset=pid
     * (which hides /proc/sys: the state lock then does without the boot id) and the address families.
     */
    test("an unprivileged user without capabilities, no_new_privs and umask 0077: once writes everything, its files private, and every system call is in the unit's filter", async () => {
      const dir = mkdtempSync(join(tmpdir(), 'unit-run-'));
      chmodSync(dir, 0o755);
      const config = join(dir, 'jobs.yaml');
      writeFileSync(
        config,
        'jobs:\n  - { name: sandboxed, dimensions: [PRODUCT], intervals: [1h], lookback: 1d }\n',
      );
      chmodSync(config, 0o644);
      const state = join(dir, 'state');
      mkdirSync(state);
      chownSync(state, 65534, 65534);
      const trace = join(dir, 'trace');
      writeFileSync(trace, '');
      chownSync(trace, 65534, 65534);
      const env = { ...stack.env({ STATE_DIR: state }), HOME: dir };
      // The unprivileged user must reach node and the service: CI's checkout and its Node 26 may lie
      // under directories only root can enter (mktemp -d, /root/.cache); then they are copied here.
      const nodeBin = reachableByOthers(realpathSync(process.execPath))
        ? process.execPath
        : copyForOthers(realpathSync(process.execPath), join(dir, 'node'));
      const bin = reachableByOthers(BIN)
        ? BIN
        : join(copyAppForOthers(join(dir, 'app')), relative(ROOT, BIN));
      const result = await run(
        'setpriv',
        [
          '--reuid=65534',
          '--regid=65534',
          '--clear-groups',
          '--inh-caps=-all',
          '--bounding-set=-all',
          '--no-new-privs',
          '--',
          'sh',
          '-c',
          'umask 0077 && exec strace -f -qq -o "$0" "$@"',
          trace,
          nodeBin,
          '--max-semi-space-size=4',
          bin,
          'once',
          '--config',
          config,
        ],
        { env, maxBuffer: 16 * 1024 * 1024 },
      );
      expect(result.stderr).toMatch(/1 ok, 0 failed/);
      const count = await stack.influx.query(
        'SELECT count("value") FROM "radar_netflows" WHERE "job" = \'sandboxed\'',
        stack.db,
      );
      expect(Number(count[0]?.count)).toBeGreaterThan(0);

      for (const entry of readdirSync(state, { recursive: true, withFileTypes: true })) {
        const stat = statSync(join(entry.parentPath, entry.name));
        expect([entry.name, stat.uid, stat.mode & 0o077]).toEqual([entry.name, 65534, 0]);
      }

      const allowed = allowedSyscalls();
      const used = new Set<string>();
      for (const line of readFileSync(trace, 'utf8').split('\n')) {
        const m = /^\d+\s+(?:<\.\.\. )?([a-z0-9_]+)(?:\(| resumed>)/.exec(line);
        if (m) used.add(m[1]!);
      }
      expect(used.size).toBeGreaterThan(20);
      expect([...used].filter((call) => !allowed.has(call)).sort()).toEqual([]);
    });
  });
});
