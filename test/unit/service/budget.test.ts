import { describe, expect, test } from '@jest/globals';
import { makeQuery } from '../../fixtures/query.js';
import { runsPerHour, scheduleBudget, stalenessLimitMs } from '../../../src/service/budget.js';

const query = (schedule: string, windowMs: number) => makeQuery({ schedule, windowMs });

describe('schedule budget', () => {
  test('runsPerHour reads cron expressions, seconds included', () => {
    expect(runsPerHour('*/15 * * * *', 'UTC')).toBeCloseTo(4, 5);
    expect(runsPerHour('0 * * * *', 'UTC')).toBeCloseTo(1, 5);
    expect(runsPerHour('*/10 * * * * *', 'UTC')).toBeCloseTo(360, 5);
  });

  test('each run asks for the open window, and the previous one while it settles', () => {
    const budget = scheduleBudget([query('*/15 * * * *', 86_400_000), query('0 * * * *', 3_600_000)]);
    expect(budget.requestsPerHour).toBeCloseTo(4 * (1 + 1 / 24) + 1 * 2, 5);
    expect(budget.requestsPer5Min).toBeCloseTo(budget.requestsPerHour / 12, 5);
    expect(budget.burst).toBe(2);
  });

  test('a service is stale after staleAfter, or twice its most frequent schedule when that is longer', () => {
    const H = 3_600_000;
    expect(stalenessLimitMs([query('*/15 * * * *', H), query('0 */6 * * *', H)], H)).toBe(H);
    expect(stalenessLimitMs([query('0 */6 * * *', H)], H)).toBeCloseTo(12 * H, -3);
    expect(stalenessLimitMs([], H)).toBe(H);
  });
});
