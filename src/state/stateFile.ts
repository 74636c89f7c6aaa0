import { z } from 'zod';
import { ServiceError } from '../errors.js';
import type { QueryDefinition } from '../model/query.js';

/**
 * Per query, the range of windows known to be final: [finalFromMs, checkpointMs). Scheduled runs start
 * at the checkpoint (the oldest window not yet final); backfill skips what lies inside the range.
 */
export interface QueryState {
  finalFromMs: number;
  checkpointMs: number;
  lastSuccessMs?: number;
  /** The last run that failed, and why (for `status`); kept after a later success, its time says which came last. */
  lastFailure?: { atMs: number; message: string };
  /** What the query asked when this was saved (absent in state written before definitions were kept). */
  definition?: QueryDefinition;
  /**
   * The window length Radar answers this query in, where it refused a longer one (pipeline/windowSplit.ts):
   * kept, so that a bucket is always fetched in the same window.
   */
  windowMs?: number;
}

/**
 * Where a query's backfill stands: it has fetched the windows of [fromMs, nextMs), and those of
 * [fromMs, finalUntilMs) are final. One per query; a backfill of another range supersedes it, a
 * finished one removes it.
 */
export interface BackfillCursor {
  fromMs: number;
  nextMs: number;
  finalUntilMs: number;
  /** Made by `backfill --refetch` (whose finished windows also count for a plain backfill). */
  refetch: boolean;
}

/**
 * What a window of a query holds in InfluxDB, as far as this state knows: the groups its newest answer
 * names, and whether groups of an earlier answer may still be there. Kept while the window may be
 * fetched again (not final), and after that until its stale groups are removed and no dead letter
 * could bring one back (pipeline/windowAnswers.ts).
 */
export interface WindowAnswer {
  endMs: number;
  /** The group keys of the newest answer, by series name. */
  groups: Record<string, string[]>;
  /** InfluxDB may hold groups in this window that `groups` does not name: a removal is due. */
  stale: boolean;
  /** Of those, how many groups are known (named by an earlier answer); the rest is a window never seen. */
  staleGroups?: number;
  /** The window is final: no fetch will change `groups` again. */
  final?: boolean;
}

export interface StateFileV1 {
  version: 1;
  queries: Record<string, QueryState>;
  /** By query id. */
  backfills: Record<string, BackfillCursor>;
  /** By query id, then by the window's start (ms, as text). */
  answers?: Record<string, Record<string, WindowAnswer>>;
  /** By query id: groups × windows left in a database that cannot delete points (InfluxDB 3). */
  unremovable?: Record<string, number>;
}

export const STATE_VERSION = 1;

export class StateError extends ServiceError {
  constructor(message: string, cause?: unknown) {
    super('state_unusable', message, { cause });
  }
}

export function emptyStateFile(): StateFileV1 {
  return { version: 1, queries: {}, backfills: {} };
}

const queryStateSchema = z
  .object({
    finalFromMs: z.number(),
    checkpointMs: z.number(),
    lastSuccessMs: z.number().optional(),
    lastFailure: z.object({ atMs: z.number(), message: z.string() }).optional(),
    // Our own record of what the query asked; compared as a whole with the config's (definition.ts).
    definition: z.record(z.string(), z.unknown()).optional(),
    windowMs: z.number().positive().optional(),
  })
  .refine((q) => q.finalFromMs <= q.checkpointMs);

const cursorSchema = z.object({
  fromMs: z.number(),
  nextMs: z.number(),
  finalUntilMs: z.number(),
  refetch: z.boolean().optional(),
});

const windowAnswerSchema = z.object({
  endMs: z.number(),
  groups: z.record(z.string(), z.array(z.string())),
  stale: z.boolean(),
  staleGroups: z.number().optional(),
  final: z.boolean().optional(),
});

/**
 * state.json as this release reads it, through one schema: a wrong shape is a damaged file, said with
 * where (exit 2: move it away to start over), never a silent loop. Backfill cursors of an earlier
 * release (kept by a hash of the command line, which never matched again for `--from 365d`) are dropped:
 * their windows are either final already or fetched again; nothing is lost.
 */
const stateFileSchema = z.object({
  version: z.literal(STATE_VERSION),
  queries: z.record(z.string(), queryStateSchema).optional(),
  backfills: z.record(z.string(), z.unknown()).optional(),
  answers: z.record(z.string(), z.record(z.string(), windowAnswerSchema)).optional(),
  unremovable: z.record(z.string(), z.number()).optional(),
});

/** The state file's text as a StateFileV1, or a StateError saying what is wrong where. */
export function parseStateFile(text: string, file: string): StateFileV1 {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new StateError(
      `${file} is not valid JSON; move it away to start over (windows will be fetched again)`,
      error,
    );
  }
  const version = (parsed as { version?: unknown } | null)?.version;
  if (version !== STATE_VERSION)
    throw new StateError(
      `${file} has state version ${String(version)}; this release reads version ${STATE_VERSION}`,
    );
  const checked = stateFileSchema.safeParse(parsed);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new StateError(
      `${file} is damaged: ${describeIssue(issue.path, parsed as Record<string, unknown>)}; move it away to start over (windows will be fetched again)`,
    );
  }
  const { queries, backfills, answers, unremovable } = checked.data;
  const cursors: Record<string, BackfillCursor> = {};
  for (const [id, raw] of Object.entries(backfills ?? {})) {
    const cursor = cursorSchema.safeParse(raw);
    if (cursor.success) cursors[id] = { ...cursor.data, refetch: cursor.data.refetch === true };
  }
  return {
    version: STATE_VERSION,
    queries: (queries ?? {}) as unknown as Record<string, QueryState>,
    backfills: cursors,
    ...(answers ? { answers: answers as Record<string, Record<string, WindowAnswer>> } : {}),
    ...(unremovable ? { unremovable } : {}),
  };
}

/** What is wrong, in the words of the file's parts. */
function describeIssue(path: readonly PropertyKey[], parsed: Record<string, unknown>): string {
  const [part, id] = path;
  if (part === 'queries' && id === undefined)
    return `"queries" is ${JSON.stringify(parsed.queries)}, not a mapping of query ids`;
  if (part === 'queries')
    return `the state of ${String(id)} is not a range of times (finalFromMs ≤ checkpointMs)`;
  if (part === 'answers') return '"answers" is not a mapping of query ids to windows and their groups';
  return `"${path.map(String).join('.')}" is not what this release writes`;
}
