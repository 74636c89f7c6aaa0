import type { TrafficGroup } from '../model/point.js';
import type { Window } from '../model/window.js';
import { HOUR_MS, type Clock } from '../util/time.js';

/**
 * How often a window fetched again is still written in full: 4 times a day. A 15m query's open
 * window then costs one full write (~670 buckets a group) in 24 runs instead of in every run.
 */
export const DEFAULT_REWRITE_AFTER_MS = 6 * HOUR_MS;

/** What was delivered of one group of a window: its times (ascending) and values. */
interface DeliveredGroup {
  timesMs: readonly number[];
  values: readonly number[];
}

/**
 * The values last delivered for the windows a query fetches again (the open window on every scheduled
 * run; a closed one until it is final), so that a run writes only the buckets that are new or changed.
 * A 7-day window of 15m data re-fetched every 15 minutes would otherwise rewrite ~670 buckets per
 * group to add one.
 *
 * Kept in memory only: after a restart it is empty and the first run writes everything, which is
 * always correct (InfluxDB overwrites a point with the same measurement, tags and time). Remembered
 * only once the sink has taken the points (acknowledged or spooled), so a failed write is written in
 * full next time. A memory older than `rewriteAfterMs` is not used: each window is written in full
 * again at least that often, so points lost behind the service's back (a database dropped and
 * created again) come back by themselves. At most `windowsPerQuery` windows per query are kept: the
 * open one and the one before it while it settles.
 */
export class DeliveredBuckets {
  private readonly byQuery = new Map<
    string,
    Map<number, { atMs: number; groups: Map<string, DeliveredGroup> }>
  >();

  constructor(
    private readonly clock: Clock,
    private readonly rewriteAfterMs = DEFAULT_REWRITE_AFTER_MS,
    private readonly windowsPerQuery = 2,
  ) {}

  /**
   * The groups cut down to the points not delivered before with the same value (groups with none
   * left are dropped), and how many points were left out.
   */
  changedOnly(
    queryId: string,
    window: Window,
    groups: readonly TrafficGroup[],
  ): { groups: TrafficGroup[]; unchanged: number } {
    const memory = this.byQuery.get(queryId)?.get(window.startMs);
    if (!memory || this.clock.nowMs() - memory.atMs >= this.rewriteAfterMs)
      return { groups: [...groups], unchanged: 0 };
    const before = memory.groups;
    const changed: TrafficGroup[] = [];
    let unchanged = 0;
    for (const group of groups) {
      const old = before.get(groupKey(group));
      if (!old) {
        changed.push(group);
        continue;
      }
      const keep = changedIndexes(group, old);
      unchanged += group.timesMs.length - keep.length;
      if (keep.length === group.timesMs.length) changed.push(group);
      else if (keep.length > 0)
        changed.push({
          ...group,
          timesMs: keep.map((i) => group.timesMs[i]!),
          timeTexts: keep.map((i) => group.timeTexts[i]!),
          values: keep.map((i) => group.values[i]!),
        });
    }
    return { groups: changed, unchanged };
  }

  /**
   * Records what the sink took of a window: all of its groups, as fetched (not only the changed ones).
   * `full` says whether all of them were written this time; if not, the memory keeps its age, so
   * that the window is still written in full every `rewriteAfterMs`.
   */
  remember(queryId: string, window: Window, groups: readonly TrafficGroup[], full: boolean): void {
    let windows = this.byQuery.get(queryId);
    if (!windows) this.byQuery.set(queryId, (windows = new Map()));
    const delivered = new Map<string, DeliveredGroup>();
    for (const group of groups)
      delivered.set(groupKey(group), { timesMs: group.timesMs, values: group.values });
    const atMs = full ? this.clock.nowMs() : (windows.get(window.startMs)?.atMs ?? this.clock.nowMs());
    windows.delete(window.startMs); // re-inserted last: the newest
    windows.set(window.startMs, { atMs, groups: delivered });
    while (windows.size > this.windowsPerQuery) windows.delete(windows.keys().next().value!);
  }

  /** A window that is final is not fetched again: its memory goes. */
  forget(queryId: string, window: Window): void {
    this.byQuery.get(queryId)?.delete(window.startMs);
  }

  /** Windows remembered, over all queries (tests, memory accounting). */
  get size(): number {
    let n = 0;
    for (const windows of this.byQuery.values()) n += windows.size;
    return n;
  }
}

/** A group's identity within a window: its measurement, field and tags (in their fixed order). */
function groupKey(group: TrafficGroup): string {
  let key = `${group.measurement}\u0000${group.field}`;
  for (const name in group.tags) key += `\u0000${name}=${group.tags[name]}`;
  return key;
}

/** Indexes of the group's points that `old` lacks or holds with another value (both sorted by time). */
function changedIndexes(group: TrafficGroup, old: DeliveredGroup): number[] {
  const keep: number[] = [];
  let j = 0;
  for (let i = 0; i < group.timesMs.length; i++) {
    const timeMs = group.timesMs[i]!;
    while (j < old.timesMs.length && old.timesMs[j]! < timeMs) j++;
    if (j < old.timesMs.length && old.timesMs[j] === timeMs && Object.is(old.values[j], group.values[i]))
      continue;
    keep.push(i);
  }
  return keep;
}
