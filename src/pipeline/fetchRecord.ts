import type { Query } from '../model/query.js';
import type { Window } from '../model/window.js';
import { IntField, type Point } from '../model/point.js';
import { MEASUREMENT } from '../flatten/flatten.js';

export interface FetchRecord {
  query: Query;
  window: Window;
  outcome: 'ok' | 'failed';
  attempts: number;
  durationMs: number;
  /** Points kept (acknowledged or spooled): those of the answer, less any unchanged since the last fetch of the window, less those refused. */
  points: number;
  /** Points refused for good (kept in the dead letters with their reason). */
  refused?: number;
  /** Points of the answer left out because they were written before with the same value. */
  unchanged?: number;
  confidenceLevel: number | undefined;
  lastUpdatedMs: number | undefined;
  /** Buckets a closed window's answer lacks (see expectedBuckets); 0 when complete. */
  missingBuckets?: number;
  /** Groups the answer names that the window's previous answer did not, and the reverse (windowAnswers.ts). */
  groupsAdded?: number;
  groupsRemoved?: number;
  timeMs: number;
}

/** One `radar_fetches` point per request, for the pipeline-health and freshness panels. */
export function fetchPoint(record: FetchRecord): Point {
  return {
    measurement: MEASUREMENT.fetches,
    tags: {
      job: record.query.job,
      dimension: record.query.dimension,
      agg_interval: record.query.interval,
      outcome: record.outcome,
    },
    fields: {
      points: new IntField(record.points),
      ...(record.refused !== undefined ? { refused: new IntField(record.refused) } : {}),
      ...(record.unchanged !== undefined ? { unchanged: new IntField(record.unchanged) } : {}),
      attempts: new IntField(record.attempts),
      duration_ms: new IntField(record.durationMs),
      window_start_ms: new IntField(record.window.startMs),
      window_end_ms: new IntField(record.window.endMs),
      ...(record.confidenceLevel !== undefined
        ? { confidence_level: new IntField(record.confidenceLevel) }
        : {}),
      ...(record.lastUpdatedMs !== undefined ? { last_updated_ms: new IntField(record.lastUpdatedMs) } : {}),
      ...(record.missingBuckets !== undefined
        ? { missing_buckets: new IntField(record.missingBuckets) }
        : {}),
      ...(record.groupsAdded !== undefined ? { groups_added: new IntField(record.groupsAdded) } : {}),
      ...(record.groupsRemoved !== undefined ? { groups_removed: new IntField(record.groupsRemoved) } : {}),
    },
    timeMs: record.timeMs,
  };
}
