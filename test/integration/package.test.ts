import { describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../harness/cli.js';
import { useStack } from '../harness/stack.js';

const run = promisify(execFile);

/** The environment of a user's shell: this test's node first on the PATH. */
const shell = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };

describe('the npm package', () => {
  const stack = useStack('package', { fixedHorizon: true });

  test('packs, installs from the tarball, and runs from there', async () => {
    const work = mkdtempSync(join(tmpdir(), 'pack-'));
    // npm test has built dist/ already: pack it as it is (prepack would compile it all again).
    const packed = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], {
      cwd: ROOT,
      env: shell,
      maxBuffer: 16 * 1024 * 1024,
    });
    const [{ filename, files }] = JSON.parse(packed.stdout) as [
      { filename: string; files: { path: string }[] },
    ];
    const paths = files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['dist/cli/main.js', 'LICENSE', 'README.md', 'jobs.yaml']));
    expect(paths.filter((p) => /^(test|scripts|src|\.ci)\/|\.map$|^dist\/grafana\//.test(p))).toEqual([]);

    const prefix = join(work, 'prefix');
    // The dependencies from npm's cache, where npm ci left them: the registry only for what is missing.
    const install = ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund'];
    await run('npm', [...install, join(work, filename)], {
      env: shell,
      maxBuffer: 16 * 1024 * 1024,
    });
    const bin = join(prefix, 'bin', 'radar-netflows');
    const help = await run(bin, ['--help'], { env: shell });
    expect(help.stdout).toMatch(/^Usage: radar-netflows <command>/);
    const installed = join(prefix, 'lib', 'node_modules', 'radar-netflows');

    // The shebang as a kernel reads it (the interpreter, then the rest of the line as ONE argument),
    // run by GNU env and by BusyBox's (node:*-alpine images); either way node ends up with the V8 flag
    // where it can re-execute itself (process.execve: Node.js 22.15 and later).
    const script = join(installed, 'dist', 'cli', 'main.js');
    const shebang = /^#!(\S+)(?: (.*))?$/.exec(readFileSync(script, 'utf8').split('\n')[0]!)!;
    expect(shebang[1]).toBe('/usr/bin/env');
    const flagged = typeof (process as { execve?: unknown }).execve === 'function';
    for (const env of [['/usr/bin/env'], ['busybox', 'env']]) {
      const version = await run(env[0]!, [...env.slice(1), shebang[2]!, script, '--version'], { env: shell });
      expect([env.join(' '), version.stdout]).toEqual([
        env.join(' '),
        expect.stringMatching(
          flagged ? /\(Node\.js v[\d.]+, --max-semi-space-size=4\)$/m : /\(Node\.js v[\d.]+\)$/m,
        ),
      ]);
    }
    expect(readdirSync(join(installed, 'node_modules'))).not.toContain('@grafana');
    const validate = await run(bin, ['validate', '--config', join(installed, 'jobs.yaml')], { env: shell });
    expect(validate.stdout).toMatch(/jobs.yaml: valid \(\d+ jobs, \d+ queries\)/);

    const configFile = stack.writeConfig(`
jobs:
  - name: packed
    dimensions: [PRODUCT]
    intervals: [1h]
    lookback: 2d
`);
    const once = await run(bin, ['once', '--dry-run', '--config', configFile], {
      env: { ...shell, ...stack.env() },
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(once.stdout).toMatch(
      /^radar_netflows,agg_interval=1h,dimension=PRODUCT,group_key=HTTP,job=packed,/m,
    );
  });
});
