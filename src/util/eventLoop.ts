import { setImmediate as nextTurn } from 'node:timers/promises';

/** The turn of the last caller to ask: each next one is served after it. */
let lastTurn: Promise<void> = Promise.resolve();

/**
 * Lets the event loop serve what waits (a /healthz request, other answers) between the long
 * synchronous steps of a window: parsing and checking Radar's answer, flattening it and encoding the
 * body take several milliseconds each for a 7-day window of 15m data, and ran as one task otherwise.
 *
 * Callers are served one per turn of the event loop: every immediate already queued runs in the same
 * check phase, so with four windows in flight a plain setImmediate let all four run a step before the
 * loop looked at its sockets again, and /healthz waited behind the four (BENCHMARKS.md, "/healthz
 * while a year spools"). Chained, the next caller's immediate is queued only once the previous
 * caller's has fired, which puts it in the next turn, after the I/O that came in meanwhile.
 */
export function yieldToEventLoop(): Promise<void> {
  const turn = lastTurn.then(() => nextTurn());
  lastTurn = turn;
  return turn;
}
