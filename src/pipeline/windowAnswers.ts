import { GROUP_TAG, MEASUREMENT, seriesTags } from '../flatten/flatten.js';
import type { Logger } from '../log.js';
import type { Query } from '../model/query.js';
import type { TrafficGroup } from '../model/point.js';
import type { Window } from '../model/window.js';
import type { GroupRemoval, PointSink } from '../sink/sink.js';
import type { StateStore, WindowAnswer } from '../state/store.js';
import { SharedOrAlone } from '../util/sharedOrAlone.js';
import { isoSeconds } from '../util/time.js';

/** The group keys of an answer, by series name. */
export type SeriesGroups = Record<string, string[]>;

/** The groups of a window's answer as flattened: every series of the query, even one that named none. */
export function groupsOf(query: Query, groups: readonly TrafficGroup[]): SeriesGroups {
  const bySeries: SeriesGroups = Object.fromEntries(query.series.map((s) => [s.name, []]));
  for (const group of groups) (bySeries[group.tags.series!] ??= []).push(group.tags[GROUP_TAG]!);
  for (const keys of Object.values(bySeries)) keys.sort();
  return bySeries;
}

/**
 * Each window holds its newest answer, and only it. Radar's `limitPerGroup` is the top N of the range
 * asked for, so the open window, fetched again as it grows, may name other groups than before; the
 * points an earlier answer wrote for a group the newest one no longer names must go, or shares add up
 * to more than 100 % (docs/radar-api.md, "Top N per range").
 *
 * The state keeps, per window that may still change, the groups of its newest answer (store.ts,
 * WindowAnswer). Before an answer is written its groups are saved, marked stale when some group of
 * the previous answer is missing (or nothing is known of the window): kill -9 during the write, or
 * before the removal, leaves a record that the next fetch acts on. After the write, a stale window
 * asks the sink to remove every group of its series that the newest answer does not name — once the
 * write is in the database, never before an older write still waiting in the spool (the sink defers
 * it then, and `settle` tries again at the next run). Where the database cannot delete (InfluxDB 3),
 * the groups stay, and `status` says how many windows hold them.
 */
export class WindowAnswers {
  private unsupportedSaid = false;
  private failureSaid = false;
  /**
   * Traffic writes, of every query, against removals: one lock for the measurement, not one per query.
   * In InfluxDB 1.x (inmem index, influxd 1.6.7 read: `tsdb/engine/tsm1/engine.go` deleteSeriesRange,
   * `tsdb/index/inmem/inmem.go`), a DELETE drops from a shard's index every series it matched that has
   * no point left there, and from the measurement's index one with no point left anywhere, rebuilding
   * that index; a write under way meanwhile — of the same series, or a new series of the measurement,
   * whichever query wrote it — is then in the database but not found by any query.
   */
  private readonly traffic = new SharedOrAlone();

  constructor(
    private readonly store: StateStore,
    private readonly sink: PointSink,
    private readonly logger: Logger,
    /** Whether dead letters wait: then a final window's record is kept, so a replay skips what was removed. */
    private readonly deadLettersWait: () => boolean,
  ) {}

  /**
   * Called before a window's answer is written: saves its groups, so that a write cut short is
   * mended by the next fetch. Returns how many groups it adds and drops against the previous answer known.
   */
  async beforeWrite(
    query: Query,
    window: Window,
    groups: SeriesGroups,
  ): Promise<{ added: number; removed: number }> {
    const before = this.store.windowAnswer(query.id, window.startMs);
    const sameWindow = before?.endMs === window.endMs;
    const { added, removed } = difference(sameWindow ? before.groups : {}, groups);
    const stale = !sameWindow || before.stale || removed > 0;
    const staleGroups = (sameWindow ? (before.staleGroups ?? 0) : 0) + removed;
    // (A window seen before whose groups did not change keeps its record as it is.)
    if (!sameWindow || added > 0 || removed > 0)
      await this.store.setWindowAnswer(query.id, window.startMs, {
        endMs: window.endMs,
        groups,
        stale,
        ...(staleGroups > 0 ? { staleGroups } : {}),
      });
    return { added, removed };
  }

  /** Runs a write of traffic points: beside other writes, never beside a removal (see `traffic`). */
  writing<T>(write: () => Promise<T>): Promise<T> {
    return this.traffic.shared(write);
  }

  /** Called once the answer is delivered: removes the stale groups if it may, and forgets a settled final window. */
  async afterWrite(query: Query, window: Window, final: boolean): Promise<void> {
    const answer = this.store.windowAnswer(query.id, window.startMs);
    if (!answer) return;
    if (final && !answer.final)
      await this.store.setWindowAnswer(query.id, window.startMs, { ...answer, final: true });
    await this.settleWindow(query, window.startMs);
  }

  /**
   * Removals still due for the query (deferred behind the spool, or failed), and final windows no
   * longer worth keeping. Called at the start of each run, before any window is fetched, and once a
   * one-shot command has drained the spool.
   */
  async settle(query: Query): Promise<void> {
    for (const [startMs] of this.store.windowAnswers(query.id)) await this.settleWindow(query, startMs);
  }

  private async settleWindow(query: Query, startMs: number): Promise<void> {
    const answer = this.store.windowAnswer(query.id, startMs);
    if (!answer) return;
    const outcome = answer.stale ? await this.remove(query, startMs, answer) : 'clean';
    if (outcome === 'kept') return; // still due
    // Where nothing can be deleted, the known stale groups are counted for `status`, then let be.
    if (outcome === 'unsupported') await this.store.addUnremovable(query.id, answer.staleGroups ?? 0);
    const { staleGroups: _, ...rest } = answer;
    const forget = answer.final === true && !this.deadLettersWait();
    if (forget) await this.store.setWindowAnswer(query.id, startMs, undefined);
    else if (answer.stale) await this.store.setWindowAnswer(query.id, startMs, { ...rest, stale: false });
  }

  /** Asks the sink to remove what the window's newest answer does not name; 'kept' when it is still due. */
  private async remove(
    query: Query,
    startMs: number,
    answer: WindowAnswer,
  ): Promise<'removed' | 'unsupported' | 'kept'> {
    const removals: GroupRemoval[] = Object.entries(answer.groups).map(([series, keep]) => ({
      measurement: MEASUREMENT.traffic,
      seriesTags: seriesTags(query, series),
      groupTag: GROUP_TAG,
      keep,
      startMs,
      endMs: answer.endMs,
    }));
    const context = {
      job: query.job,
      dimension: query.dimension,
      interval: query.interval,
      window: `${isoSeconds(startMs)}/${isoSeconds(answer.endMs)}`,
    };
    try {
      const removeGroups = this.sink.removeGroups?.bind(this.sink);
      const outcome = removeGroups ? await this.traffic.alone(() => removeGroups(removals)) : 'unsupported';
      if (outcome === 'deferred') {
        this.logger.debug('stale groups: removal waits for the spool to be written first', context);
        return 'kept';
      }
      if (outcome === 'unsupported') {
        // Said once, and only when an earlier answer is known to have named a group the newest does not.
        if (!this.unsupportedSaid && (answer.staleGroups ?? 0) > 0)
          this.logger.warn(
            `${this.sink.description} cannot delete points: groups that a window's newer answer no longer ` +
              `names stay in that window (shares may add up to more than 100 %); radar-netflows status counts them`,
            context,
          );
        this.unsupportedSaid ||= (answer.staleGroups ?? 0) > 0;
        return 'unsupported';
      }
      this.failureSaid = false;
      this.logger.debug('stale groups removed', context);
      return 'removed';
    } catch (error) {
      if (!this.failureSaid)
        this.logger.warn(
          `cannot remove the groups a window's newer answer no longer names (tried again at the next run): ${(error as Error).message}`,
          context,
        );
      this.failureSaid = true;
      return 'kept';
    }
  }
}

/**
 * Whether a refused point (a dead letter) belongs to a group that its window's newest answer no
 * longer names: replaying it would bring the removed group back.
 */
export function supersededIn(
  store: StateStore,
  queries: readonly Query[],
  tags: ReadonlyMap<string, string>,
  timeMs: number,
): boolean {
  const query = queries.find(
    (q) =>
      q.job === tags.get('job') &&
      q.dimension === tags.get('dimension') &&
      q.interval === tags.get('agg_interval') &&
      q.normalization === tags.get('normalization'),
  );
  if (!query) return false;
  const window = store.windowAnswers(query.id).find(([startMs, a]) => startMs <= timeMs && timeMs < a.endMs);
  const named = window?.[1].groups[tags.get('series') ?? ''];
  return named !== undefined && !named.includes(tags.get(GROUP_TAG) ?? '');
}

/** Groups `after` names that `before` did not, and the reverse, over all series. */
function difference(before: SeriesGroups, after: SeriesGroups): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const series of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const old = new Set(before[series] ?? []);
    const now = new Set(after[series] ?? []);
    for (const key of now) if (!old.has(key)) added++;
    for (const key of old) if (!now.has(key)) removed++;
  }
  return { added, removed };
}
