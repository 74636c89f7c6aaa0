/**
 * Set up in every unit test file: a unit test runs on fixtures, fake timers and an injected clock, so
 * 15 s is ample even on a loaded machine, and a hanging one is cut short (jest's testTimeout is one
 * setting for every project: integration files keep its 120 s).
 */
import { jest } from '@jest/globals';

jest.setTimeout(15_000);
