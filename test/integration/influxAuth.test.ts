import { beforeEach, describe, expect, test } from '@jest/globals';
import { runCli, startCli, waitFor } from '../harness/cli.js';
import { freePort } from '../harness/influxd.js';
import { useStack } from '../harness/stack.js';

const CONFIG = `
radar: { retryDelayMs: 20 }
influx: { timeoutMs: 700 }
jobs:
  - name: auth
    schedule: "*/2 * * * * *"
    dimensions: [LOCATION]
    intervals: [1h]
    limitPerGroup: 4
    lookback: 2d
`;
const ADMIN = { user: 'admin', password: 'admin-secret-pw' };
const WRITER = { user: 'writer', password: 'writer-secret-pw' };

describe('InfluxDB with authentication', () => {
  const stack = useStack('influx_auth', { fixedHorizon: true, influxAuth: ADMIN });
  const { influx } = stack;
  let configFile = '';
  const asWriter = (extra: Record<string, string> = {}) =>
    stack.env({ INFLUX_USERNAME: WRITER.user, INFLUX_PASSWORD: WRITER.password, ...extra });

  beforeEach(async () => {
    configFile = stack.writeConfig(CONFIG);
    await influx.query(`CREATE DATABASE ${stack.db}`);
    if (stack.case === 1) await influx.query(`CREATE USER ${WRITER.user} WITH PASSWORD '${WRITER.password}'`);
    await influx.query(`GRANT WRITE ON ${stack.db} TO ${WRITER.user}`);
  });

  test('a write-only user writes: no CREATE DATABASE is needed when the database exists', async () => {
    const result = await runCli(['once', '--config', configFile], asWriter());
    expect(result.stderr).not.toMatch(/could not create the database/);
    // Refused the look before a removal (SELECT needs READ), it deletes by the groups kept, as before.
    expect(result.stderr).not.toMatch(/cannot remove/);
    expect(result.code).toBe(0);
    await stack.expectMatchesServed(() => 'auth');
  });

  test('credentials in INFLUX_URL are used, and never printed or served', async () => {
    const port = await freePort();
    const url = new URL(influx.url);
    url.username = WRITER.user;
    url.password = WRITER.password;
    const env = stack.env({
      INFLUX_URL: url.toString().replace(/\/$/, ''),
      HTTP_LISTEN: `127.0.0.1:${port}`,
    });
    const daemon = startCli(['run', '--config', configFile], env);
    await waitFor(
      'a first write',
      async () => (await influx.query('SELECT * FROM radar_fetches', stack.db)).length > 0,
    );
    const ready = await (await fetch(`http://127.0.0.1:${port}/readyz`)).text();
    daemon.child.kill('SIGTERM');
    const result = await daemon.exited;
    expect(result.code).toBe(0);
    expect(ready).toMatch(/"influx":"ok/);
    for (const text of [ready, result.stderr, result.stdout]) {
      expect(text).not.toContain(WRITER.password);
      expect(text).not.toContain(`${WRITER.user}:`);
    }
    await stack.expectMatchesServed(() => 'auth');
  });

  test('a wrong password is exit 2 naming the variable, even while points wait in the spool', async () => {
    expect((await runCli(['once', '--config', configFile], asWriter())).code).toBe(0);
    await influx.stop();
    expect((await runCli(['once', '--config', configFile], asWriter())).code).toBe(3);
    await influx.start();
    const refused = await runCli(
      ['once', '--config', configFile],
      asWriter({ INFLUX_PASSWORD: 'wrong-pw-123' }),
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/HTTP 401.*INFLUX_PASSWORD/);
    const fixed = await runCli(['once', '--config', configFile], asWriter());
    expect(fixed.code).toBe(0);
    await stack.expectMatchesServed(() => 'auth');
  });

  test('a database dropped while run is running is created again, without a restart', async () => {
    const env = stack.env({ INFLUX_USERNAME: ADMIN.user, INFLUX_PASSWORD: ADMIN.password });
    const daemon = startCli(['run', '--config', configFile], env);
    await waitFor(
      'a first write',
      async () => (await influx.query('SELECT * FROM radar_fetches', stack.db)).length > 0,
    );
    await influx.query(`DROP DATABASE ${stack.db}`);
    const droppedAt = Date.now();
    await waitFor(
      'writes after the drop',
      async () =>
        (await influx.query(`SHOW DATABASES`)).some((r) => r.name === stack.db) &&
        (await influx.query(`SELECT * FROM radar_fetches WHERE time > ${droppedAt}ms`, stack.db)).length > 0,
    );
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  });
});
