/**
 * What became of the points of one write, and how a sink is doing: the one source of every count
 * (progress, summaries, `radar_fetches`, `/metrics`, `radar_service`), of exit codes and of readiness.
 * Nothing above the sink guesses from errors or from the sink's insides.
 */

/** Points refused for one reason: kept in the dead letters with it, never counted as written. */
export interface Refusal {
  reason: string;
  points: number;
}

export interface WriteOutcome {
  /** Points the database acknowledged (for --dry-run: printed). */
  acknowledged: number;
  /** Points kept on disk because the database could not take them now: written later, in order. */
  spooled: number;
  /** Points no encoding can carry (a group key line protocol cannot hold), by reason. */
  refusedByEncoder: Refusal[];
  /** Points the database refused for good (a type conflict, beyond retention, a limit), by reason. */
  refusedByDatabase: Refusal[];
}

export const NOTHING_WRITTEN: WriteOutcome = Object.freeze({
  acknowledged: 0,
  spooled: 0,
  refusedByEncoder: [],
  refusedByDatabase: [],
}) as WriteOutcome;

/** Points kept for the database: acknowledged, or safe in the spool. */
export function keptPoints(outcome: WriteOutcome): number {
  return outcome.acknowledged + outcome.spooled;
}

export function refusedPoints(outcome: WriteOutcome): number {
  return sumOf(outcome.refusedByEncoder) + sumOf(outcome.refusedByDatabase);
}

/** Both outcomes together; refusals of the same reason are added up. */
export function addOutcomes(a: WriteOutcome, b: WriteOutcome): WriteOutcome {
  return {
    acknowledged: a.acknowledged + b.acknowledged,
    spooled: a.spooled + b.spooled,
    refusedByEncoder: mergeRefusals(a.refusedByEncoder, b.refusedByEncoder),
    refusedByDatabase: mergeRefusals(a.refusedByDatabase, b.refusedByDatabase),
  };
}

export function mergeRefusals(a: readonly Refusal[], b: readonly Refusal[]): Refusal[] {
  const byReason = new Map<string, number>();
  for (const { reason, points } of [...a, ...b]) byReason.set(reason, (byReason.get(reason) ?? 0) + points);
  return [...byReason].map(([reason, points]) => ({ reason, points }));
}

/** "1538 points refused by InfluxDB: partial write: points beyond retention policy dropped=1538" */
export function describeRefusals(outcome: WriteOutcome): string | undefined {
  const parts = [
    ...outcome.refusedByEncoder.map((r) => `${r.points} points cannot be stored (${r.reason})`),
    ...outcome.refusedByDatabase.map((r) => `${r.points} points refused by the database (${r.reason})`),
  ];
  return parts.length > 0 ? parts.join('; ') : undefined;
}

function sumOf(refusals: readonly Refusal[]): number {
  return refusals.reduce((n, r) => n + r.points, 0);
}

/** Why no write can succeed until a person acts: the credentials, or a setting. */
export interface SinkFatal {
  kind: 'credentials' | 'config';
  /** Says what to check (INFLUX_TOKEN, INFLUX_URL …); never holds a secret. */
  message: string;
}

/** How a sink is doing, for summaries, exit codes and /readyz. */
export interface SinkHealth {
  /** Bytes waiting on disk for the database (0 when it is up to date). */
  backlogBytes: number;
  /** Where they wait (for messages). */
  backlogDir?: string;
  /** The backlog reached its bound: writers wait (back-pressure, never a drop). */
  full: boolean;
  /** How long the oldest waiting point has not moved while the database answers, if it has stalled. */
  stalledForMs?: number;
  /** Why the database last failed to take a write, while it still fails. */
  lastError?: string;
  /** Points refused for good while the spool was replayed, since the sink opened (in the dead letters). */
  refusedOnReplay?: number;
  fatal?: SinkFatal;
}
