/**
 * Set up after jest's environment in every integration file: whatever CLI process a test started is
 * stopped after it, whether the test passed or not, so a failed expectation never leaves a daemon
 * running into the next test or keeps jest from exiting.
 */
import { afterAll, afterEach } from '@jest/globals';
import { stopStartedClis } from './cli.js';

afterEach(async () => {
  await stopStartedClis();
});

afterAll(async () => {
  await stopStartedClis();
});
