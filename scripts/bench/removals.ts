/**
 * Removals on InfluxDB 1.x: the look before each DELETE (a user who may read) against the `!=` DELETE
 * after every first fetch of a window, which the service still sends for a user who may only write
 * and which every removal sent before (src/sink/influx/deletion.ts). A year of 15m LOCATION + AS data
 * (19 groups and `other`) backfilled through the CLI into an influxd with authentication, once as each
 * user, alternating, 3 rounds; the statements counted by a proxy in front of influxd.
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { mkdirSync, writeFileSync } from 'node:fs';
import { isoSeconds } from '../../src/util/time.js';
import { runCli } from '../../test/harness/cli.js';
import { Influxd } from '../../test/harness/influxd.js';
import { SlowProxy } from '../../test/harness/slowProxy.js';
import { cpuSecondsOf, fmt, median } from './common.js';
import { replaceSection } from './report.js';

const SECTION = '## Removals on InfluxDB 1.x: a look before each DELETE';
const ROUNDS = 3;
const ADMIN = { user: 'bench_admin', password: 'bench-admin-pw' };
const USERS = {
  reads: { user: 'bench_reader', password: 'bench-reader-pw', grant: 'ALL' },
  writesOnly: { user: 'bench_writer', password: 'bench-writer-pw', grant: 'WRITE' },
} as const;
type Who = keyof typeof USERS;

interface Round {
  seconds: number;
  influxCpuSeconds: number;
  selects: number;
  deletes: number;
}

export async function measureRemovals(
  sim: { url: string; token: string },
  dir: string,
  fromMs: number,
  toMs: number,
): Promise<void> {
  const influx = await new Influxd({ auth: ADMIN }).start();
  const proxy = await new SlowProxy(influx.url).start();
  const { statements } = proxy;
  const config = join(dir, 'removals.yaml');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    config,
    'radar: { rateLimit: 100000, concurrency: 4 }\njobs:\n' +
      '  - { name: big, dimensions: [LOCATION, AS], intervals: [15m], limitPerGroup: 19 }\n',
  );
  try {
    for (const { user, password } of Object.values(USERS))
      await influx.query(`CREATE USER ${user} WITH PASSWORD '${password}'`);
    const rounds: Record<Who, Round[]> = { reads: [], writesOnly: [] };
    for (let round = 0; round < ROUNDS; round++)
      for (const who of Object.keys(USERS) as Who[]) {
        const { user, password, grant } = USERS[who];
        const db = `removals_${who}_${round}`;
        await influx.query(`CREATE DATABASE ${db}`);
        await influx.query(`GRANT ${grant} ON ${db} TO ${user}`);
        const env = {
          CLOUDFLARE_API_TOKEN: sim.token,
          RADAR_API_URL: sim.url,
          INFLUX_URL: proxy.url,
          INFLUX_DATABASE: db,
          INFLUX_USERNAME: user,
          INFLUX_PASSWORD: password,
          STATE_DIR: join(dir, db),
          LOG_LEVEL: 'error',
        };
        const args = ['backfill', '--config', config, '--from', isoSeconds(fromMs), '--to', isoSeconds(toMs)];
        statements.length = 0;
        const influxBefore = cpuSecondsOf(influx.pid!);
        const started = performance.now();
        const result = await runCli(args, env, { timeoutMs: 600_000 });
        if (result.code !== 0) throw new Error(`backfill as ${user} failed: ${result.stderr}`);
        rounds[who].push({
          seconds: (performance.now() - started) / 1000,
          influxCpuSeconds: cpuSecondsOf(influx.pid!) - influxBefore,
          selects: statements.filter((s) => s === 'SELECT').length,
          deletes: statements.filter((s) => s === 'DELETE').length,
        });
      }
    replaceSection(SECTION, section(rounds));
  } finally {
    await proxy.stop();
    await influx.destroy();
  }
}

function section(rounds: Record<Who, Round[]>): string {
  const med = (who: Who, key: keyof Round) => median(rounds[who].map((r) => r[key]));
  const row = (who: Who, what: string) =>
    `| ${what} | ${fmt(med(who, 'selects'))} | ${fmt(med(who, 'deletes'))} | ${rounds[who].map((r) => r.seconds.toFixed(1)).join(', ')} | ${rounds[who].map((r) => r.influxCpuSeconds.toFixed(1)).join(', ')} |`;
  return `${SECTION}
Measured by \`BENCH_ONLY=removals npm run bench\` on ${new Date().toISOString().slice(0, 10)} (${cpus().length} cores, Node.js ${process.version}):
a year of 15m LOCATION + AS data (19 groups and \`other\`) backfilled through the CLI into influxd 1.6.7 with
authentication, as a user with READ and WRITE (a look, \`SELECT count(*) … GROUP BY "group_key"\`, before each
removal, and a DELETE only for groups found and not kept) and as a user with WRITE only (refused the look, it
sends the \`!=\` DELETE that every removal sent before); alternating, ${ROUNDS} rounds, statements counted by a proxy:

| user | SELECT (median) | DELETE (median) | wall s per round | influxd CPU-s per round |
|---|---|---|---|---|
${row('reads', 'READ and WRITE')}
${row('writesOnly', 'WRITE only (as before)')}

Medians: wall **${(med('reads', 'seconds') / med('writesOnly', 'seconds')).toFixed(2)}×**, influxd CPU **${(med('reads', 'influxCpuSeconds') / med('writesOnly', 'influxCpuSeconds')).toFixed(2)}×** those of the \`!=\`
DELETEs. The answers of a backfill drop no group, so the look finds nothing to delete; why fewer DELETEs
matter beyond their cost: [docs/data.md](docs/data.md) (influxd 1.6.7 drops series from a shard's index in
every DELETE, racing writes).
`;
}
