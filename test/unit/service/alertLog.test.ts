import { describe, expect, test } from '@jest/globals';
import type { Logger } from '../../../src/log.js';
import { printable } from '../../../src/log.js';
import {
  AlertLog,
  MAX_ALERT_LINES_PER_MINUTE,
  MAX_ALERTS_PER_NOTIFICATION,
} from '../../../src/service/alertLog.js';
import { fakeClock } from '../../fixtures/clock.js';

function recorder() {
  const lines: { level: string; message: string }[] = [];
  const logger = {
    log: (level: string, message: string) => lines.push({ level, message }),
    warn: (message: string) => lines.push({ level: 'warn', message }),
  } as unknown as Logger;
  return { lines, logger };
}

describe('AlertLog (POST /alerts)', () => {
  test('one line per alert, firing at warn, resolved at info', () => {
    const { lines, logger } = recorder();
    new AlertLog(logger).log(
      JSON.stringify({
        alerts: [
          { status: 'firing', annotations: { summary: 'DE dropped' } },
          { status: 'resolved', labels: { alertname: 'Dead letters' } },
        ],
      }),
    );
    expect(lines).toEqual([
      { level: 'warn', message: 'alert firing: DE dropped' },
      { level: 'info', message: 'alert resolved: Dead letters' },
    ]);
  });

  test('a notification of 349,518 empty alerts (1 MiB): the first 50 and one line for the rest', () => {
    const { lines, logger } = recorder();
    const body = `{"alerts":[${Array.from({ length: 349_518 }, () => '{}').join(',')}]}`;
    expect(body.length).toBeLessThanOrEqual(1024 * 1024);
    expect(new AlertLog(logger).log(body)).toBe(349_518);
    expect(lines).toHaveLength(MAX_ALERTS_PER_NOTIFICATION + 1);
    expect(lines.at(-1)!.message).toMatch(
      /^349468 more alerts in this notification are not logged one by one/,
    );
  });

  test('at most 200 lines a minute over all notifications, then one line for what was left', () => {
    const { lines, logger } = recorder();
    const clock = fakeClock(0);
    const log = new AlertLog(logger, clock);
    const forty = JSON.stringify({
      alerts: Array.from({ length: 40 }, (_, i) => ({ labels: { alertname: `a${i}` } })),
    });
    for (let i = 0; i < 10; i++) log.log(forty);
    expect(lines.filter((l) => l.message.startsWith('alert ')).length).toBe(MAX_ALERT_LINES_PER_MINUTE);
    clock.advance(60_000);
    log.log(forty);
    expect(
      lines.some((l) => /^200 alerts were not logged one by one in the last minute/.test(l.message)),
    ).toBe(true);
    expect(lines.filter((l) => l.message.startsWith('alert ')).length).toBe(MAX_ALERT_LINES_PER_MINUTE + 40);
  });

  test('a long summary is cut; what reaches a terminal carries no raw escape', () => {
    const { lines, logger } = recorder();
    new AlertLog(logger).log(
      JSON.stringify({ alerts: [{ annotations: { summary: `\u001b[2J${'x'.repeat(600)}` } }] }),
    );
    expect(lines[0]!.message.length).toBeLessThan(520);
    expect(printable(lines[0]!.message)).toMatch(/^alert firing: \\u001b\[2Jx+…$/);
    expect(printable('a\nb\u009bc')).toBe('a\\u000ab\\u009bc');
  });
});
