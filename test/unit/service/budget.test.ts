import { describe, expect, test } from '@jest/globals';
import { makeQuery } from '../../fixtures/query.js';
import { runsPerHour, scheduleBudget } from '../../../src/service/budget.js';

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
});
