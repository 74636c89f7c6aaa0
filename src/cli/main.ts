#!/usr/bin/env node
/**
 * The bin. It loads nothing before v8Flags.js has had its chance to re-execute node with the V8 flag
 * the service runs with (a shebang cannot carry it portably: see there), then runs the command line.
 */
import './v8Flags.js';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** True when node runs this file (directly or through the npm bin link), false when a test imports it. */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  return script !== undefined && realpathSync(script) === fileURLToPath(import.meta.url);
}

if (isEntryPoint()) {
  const [{ main }, { EXIT }] = await Promise.all([import('./program.js'), import('./io.js')]);
  // `radar-netflows once --dry-run | head`: the reader has gone, so there is nobody left to tell.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT.ok);
    throw error;
  });
  const code = await main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  });
  process.exitCode = code;
}
