/**
 * A stand-in for InfluxDB 2.x's `influx` CLI, for the compose set-up script's decisions without
 * Docker: the subcommands the script uses, with their flags and outputs as the influx CLI 2.7 docs
 * give them (`--hide-headers` tables, tab-separated), over a JSON state file, and a log of every call.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface InfluxState {
  token: string;
  buckets: { id: string; name: string }[];
  dbrps: { db: string; bucketId: string }[];
  auths: { username: string; password: string; readBucket: string }[];
  /** v2 authorizations besides the admin's own (state.token), as `influx auth` sees them. */
  tokens?: { id: string; description: string; token: string; writeBucket: string }[];
  /** InfluxDB 2.9's default: `auth list` shows every token empty; only `auth create` shows the new one. */
  hashedTokens?: boolean;
}

const SCRIPT = String.raw`#!/usr/bin/env node
const fs = require('node:fs');
const file = process.env.FAKE_INFLUX_STATE;
const state = JSON.parse(fs.readFileSync(file, 'utf8'));
const args = process.argv.slice(2);
fs.appendFileSync(file + '.calls', JSON.stringify(args) + '\n');
const flag = (name) => { const i = args.indexOf('--' + name); return i === -1 ? undefined : args[i + 1]; };
// Without --password, influx-cli reads it as the first line of stdin when stdin is not a terminal
// (influx-cli pkg/stdio/stdio.go newTerminalStdio, noninteractive.go GetPassword; since v2.1.0).
const password = () => flag('password') ?? fs.readFileSync(0, 'utf8').split('\n')[0];
const fail = (message) => { process.stderr.write('Error: ' + message + '\n'); process.exit(1); };
if (!process.env.INFLUX_HOST) fail('no host');
if (process.env.INFLUX_TOKEN !== state.token) fail('unauthorized access');
const save = () => fs.writeFileSync(file, JSON.stringify(state));
const command = args.filter((a) => !a.startsWith('--')).slice(0, 3).join(' ');
if (args[0] === 'bucket' && args[1] === 'list') {
  const b = state.buckets.find((b) => b.name === flag('name'));
  if (!b) fail('bucket "' + flag('name') + '" not found');
  console.log(b.id + '\t' + b.name + '\tinfinite\t168h0m0s\torg0\timplicit');
} else if (args[0] === 'v1' && args[1] === 'dbrp' && args[2] === 'list') {
  for (const d of state.dbrps.filter((d) => d.db === flag('db'))) console.log('dbrp0\t' + d.db + '\t' + d.bucketId + '\tautogen\ttrue\torg0');
} else if (args[0] === 'v1' && args[1] === 'dbrp' && args[2] === 'create') {
  if (!state.buckets.some((b) => b.id === flag('bucket-id'))) fail('bucket not found');
  state.dbrps.push({ db: flag('db'), bucketId: flag('bucket-id') }); save();
  console.log('dbrp0\t' + flag('db'));
} else if (args[0] === 'v1' && args[1] === 'auth' && args[2] === 'list') {
  const found = state.auths.filter((a) => a.username === flag('username'));
  if (found.length === 0) fail('authorization not found');
  for (const a of found) console.log('auth0\t' + a.username + '\tread:' + a.readBucket);
} else if (args[0] === 'v1' && args[1] === 'auth' && args[2] === 'create') {
  if (state.auths.some((a) => a.username === flag('username'))) fail('username already exists');
  state.auths.push({ username: flag('username'), password: password(), readBucket: flag('read-bucket') }); save();
  console.log('auth0\t' + flag('username'));
} else if (args[0] === 'v1' && args[1] === 'auth' && args[2] === 'set-password') {
  const a = state.auths.find((a) => a.username === flag('username'));
  if (!a) fail('authorization not found');
  a.password = password(); save();
  console.log('Successfully updated password');
} else if (args[0] === 'auth' && (args[1] === 'list' || args[1] === 'create')) {
  // Printed as the CLI's --json does (clients/cli.go PrintJSON: tab-indented; fields in the order of
  // clients/auth/auth.go's token struct).
  if (!args.includes('--json')) fail('the stand-in prints auth only as --json');
  if (!flag('org')) fail('must specify org ID or org name');
  const shown = (t) => ({ id: t.id, description: t.description, token: t.token, status: 'active', userName: 'admin', userID: 'u0001',
    permissions: t.writeBucket ? ['write:orgs/org0/buckets/' + t.writeBucket] : ['read:/authorizations', 'write:/authorizations'] });
  state.tokens = state.tokens || [];
  if (args[1] === 'list') {
    const all = [{ id: 'a0000', description: "admin's Token", token: state.token }, ...state.tokens];
    const listed = all.map(shown).map((t) => (state.hashedTokens ? { ...t, token: '' } : t));
    console.log(JSON.stringify(listed, null, '\t'));
  } else {
    if (!state.buckets.some((b) => b.id === flag('write-bucket'))) fail('bucket not found');
    const n = (state.created = (state.created || 0) + 1);
    const t = { id: 'a000' + n, description: flag('description') || '', token: 'write-token-' + n, writeBucket: flag('write-bucket') };
    state.tokens.push(t); save();
    console.log(JSON.stringify(shown(t), null, '\t'));
  }
} else if (args[0] === 'auth' && args[1] === 'delete') {
  state.tokens = (state.tokens || []).filter((t) => t.id !== flag('id')); save();
  console.log('deleted ' + flag('id'));
} else fail('the stand-in knows no "' + command + '"');
`;

/** A directory holding `influx` (put it first on the PATH) and the state it works on. */
export function fakeInfluxCli(state: InfluxState): {
  bin: string;
  stateFile: string;
  state: () => InfluxState;
  calls: () => string[][];
} {
  const dir = mkdtempSync(join(tmpdir(), 'influx-cli-'));
  const stateFile = join(dir, 'state.json');
  writeFileSync(stateFile, JSON.stringify(state));
  writeFileSync(`${stateFile}.calls`, '');
  // CommonJS in a file without an extension: node treats it as such outside a "type": "module" tree.
  writeFileSync(join(dir, 'influx'), SCRIPT);
  chmodSync(join(dir, 'influx'), 0o755);
  return {
    bin: dir,
    stateFile,
    state: () => JSON.parse(readFileSync(stateFile, 'utf8')) as InfluxState,
    calls: () =>
      readFileSync(`${stateFile}.calls`, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as string[]),
  };
}
