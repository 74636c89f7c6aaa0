import { accessSync, constants, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describeFsError, type ServiceError, StorageError } from '../errors.js';
import { makeDirectory, writeFileAtomic, writeFileAtomicAsync } from './durableFile.js';
import { LockHeldError, StateLock } from './lock.js';
import type { QueryDefinition } from '../model/query.js';
import {
  emptyStateFile,
  parseStateFile,
  StateError,
  type BackfillCursor,
  type QueryState,
  type StateFileV1,
  type WindowAnswer,
} from './stateFile.js';

export { StateError, STATE_VERSION } from './stateFile.js';
export type { BackfillCursor, QueryState, WindowAnswer } from './stateFile.js';

/**
 * The embedded state directory (STATE_DIR): one versioned JSON file, replaced atomically (temp file,
 * fsync, rename), so kill -9 at any moment leaves a readable state. Every change returns a promise
 * that resolves once it is on disk; writes happen off the event loop, and changes made while a write
 * is under way share the next one, so many queries finishing windows together cost one fsync.
 */
export class StateStore {
  readonly file: string;
  private state: StateFileV1;
  private writing: Promise<void> | undefined;
  private lostReason: string | undefined;
  private queued: Promise<void> | undefined;

  private constructor(
    readonly dir: string,
    private readonly readOnly: boolean,
    private readonly lock?: StateLock,
  ) {
    this.file = join(dir, 'state.json');
    this.state = this.read();
  }

  /** For --dry-run: reads what is there (or nothing), never writes. */
  static openReadOnly(dir: string): StateStore {
    return new StateStore(resolve(dir), true);
  }

  /**
   * Opens (creating) the directory and takes its lock for `command`; fails with a clear StateError
   * when it cannot be used, or LockHeldError when another process holds it.
   */
  static open(dir: string, command = 'radar-netflows'): StateStore {
    const absolute = resolve(dir);
    try {
      makeDirectory(absolute);
      accessSync(absolute, constants.W_OK | constants.R_OK);
    } catch (error) {
      throw unusable(
        `the state directory ${absolute} cannot be used`,
        error,
        'set STATE_DIR to a writable directory',
      );
    }
    let lock: StateLock;
    try {
      lock = StateLock.acquire(absolute, command);
    } catch (error) {
      if (error instanceof LockHeldError) throw error;
      throw unusable(`cannot lock the state directory ${absolute}`, error);
    }
    try {
      const store = new StateStore(absolute, false, lock);
      writeFileAtomic(store.file, store.text()); // proves that we can write here before any work is done
      return store;
    } catch (error) {
      lock.release();
      if (error instanceof StateError) throw error;
      throw unusable(`cannot save state to ${join(absolute, 'state.json')}`, error);
    }
  }

  /** Whether nothing was ever kept here: no query has a checkpoint, no backfill has begun. */
  get isFresh(): boolean {
    return Object.keys(this.state.queries).length === 0 && Object.keys(this.state.backfills).length === 0;
  }

  query(id: string): QueryState | undefined {
    return this.state.queries[id];
  }

  /** The queries whose saved definition differs from the one given (nothing is changed here). */
  changedDefinitions(
    definitions: ReadonlyMap<string, QueryDefinition>,
  ): { id: string; saved: QueryDefinition; current: QueryDefinition }[] {
    return [...definitions].flatMap(([id, current]) => {
      const saved = this.state.queries[id]?.definition;
      return saved && canonical(saved) !== canonical(current) ? [{ id, saved, current }] : [];
    });
  }

  /**
   * Saves a query's checkpoints together with the definition they belong to: the one its run started
   * with, whatever a reload did meanwhile (a reload never changes what a running query asked).
   */
  setQuery(id: string, state: QueryState, definition: QueryDefinition): Promise<void> {
    this.state.queries[id] = { ...state, definition };
    return this.save();
  }

  /**
   * Forgets a query's checkpoints and backfill progress (`reset`): its next run starts from its
   * look-back. What its windows hold is forgotten too: a window fetched again with no record is
   * treated as holding anything, and cleared of every group its answer does not name.
   */
  resetQuery(id: string): Promise<void> {
    delete this.state.queries[id];
    delete this.state.backfills[id];
    delete this.state.answers?.[id];
    delete this.state.unremovable?.[id];
    return this.save();
  }

  /** What the window of a query starting at `startMs` holds, if this state knows. */
  windowAnswer(queryId: string, startMs: number): WindowAnswer | undefined {
    return this.state.answers?.[queryId]?.[String(startMs)];
  }

  /** Every window answer kept for a query, by window start (ms), oldest first. */
  windowAnswers(queryId: string): [number, WindowAnswer][] {
    return Object.entries(this.state.answers?.[queryId] ?? {})
      .map(([start, answer]): [number, WindowAnswer] => [Number(start), answer])
      .sort(([a], [b]) => a - b);
  }

  /** The query ids with window answers kept. */
  get queriesWithAnswers(): string[] {
    return Object.keys(this.state.answers ?? {});
  }

  /** Groups × windows of the query that stay in the database because it cannot delete points. */
  unremovable(queryId: string): number {
    return this.state.unremovable?.[queryId] ?? 0;
  }

  addUnremovable(queryId: string, groups: number): Promise<void> {
    if (groups <= 0) return Promise.resolve();
    const counts = (this.state.unremovable ??= {});
    counts[queryId] = (counts[queryId] ?? 0) + groups;
    return this.save();
  }

  /** Records what a window holds (undefined: forgets it). */
  setWindowAnswer(queryId: string, startMs: number, answer: WindowAnswer | undefined): Promise<void> {
    const answers = (this.state.answers ??= {});
    const windows = (answers[queryId] ??= {});
    if (answer) windows[String(startMs)] = answer;
    else {
      delete windows[String(startMs)];
      if (Object.keys(windows).length === 0) delete answers[queryId];
    }
    return this.save();
  }

  /** Backfill progress of a query. */
  backfillCursor(queryId: string): BackfillCursor | undefined {
    return this.state.backfills[queryId];
  }

  setBackfillCursor(queryId: string, cursor: BackfillCursor): Promise<void> {
    this.state.backfills[queryId] = cursor;
    return this.save();
  }

  finishBackfill(queryId: string): Promise<void> {
    if (!(queryId in this.state.backfills)) return Promise.resolve();
    delete this.state.backfills[queryId];
    return this.save();
  }

  /** Resolves once every change made so far is on disk. */
  async flush(): Promise<void> {
    await this.queued;
    await this.writing;
  }

  /** Saves what is pending and releases the directory's lock. */
  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      this.lock?.release();
    }
  }

  private read(): StateFileV1 {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyStateFile();
      throw new StateError(`cannot read ${this.file}: ${(error as Error).message}`, error);
    }
    return parseStateFile(text, this.file);
  }

  /** The queries whose checkpoint lies after `limitMs`: a damaged file, or a clock far behind. */
  checkpointsAfter(limitMs: number): { id: string; checkpointMs: number }[] {
    return Object.entries(this.state.queries)
      .filter(([, q]) => q.checkpointMs > limitMs)
      .map(([id, q]) => ({ id, checkpointMs: q.checkpointMs }));
  }

  /**
   * Why this process may no longer write state here (its lock is gone: the directory was removed, or
   * another process locked it since); undefined while it may.
   */
  get lost(): string | undefined {
    return this.lostReason;
  }

  private save(): Promise<void> {
    if (this.readOnly) return Promise.resolve();
    const lost = this.lostReason ?? this.lock?.lostReason();
    if (lost) {
      // Writing on would make two writers of one directory (or a directory without its lock).
      this.lostReason = lost;
      return Promise.reject(
        new StateError(`not saving state in ${this.dir}: ${lost}; this process stops writing there`),
      );
    }
    // A write not yet started will carry this change too.
    this.queued ??= (async () => {
      await this.writing?.catch(() => undefined);
      this.queued = undefined;
      this.writing = writeFileAtomicAsync(this.file, this.text()).catch((error: unknown) => {
        // A failing disk (full, out of inodes) is exit 1, worth retrying; anything else a setting (2).
        throw unusable(`cannot save state to ${this.file}`, error);
      });
      await this.writing;
    })();
    return this.queued;
  }

  private text(): string {
    return JSON.stringify(this.state, null, 1) + '\n';
  }
}

/** A definition as text with its keys in a fixed order, for comparing. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}

/** A disk that fails (full, out of inodes, I/O errors): space may come back, so a restart may help. */
const FAILING_DISK = new Set(['ENOSPC', 'EDQUOT', 'EIO']);

/**
 * Why the state directory cannot be opened: a StorageError (exit 1, worth retrying) when the disk
 * fails, a StateError (exit 2: a setting to fix) otherwise (permissions, a file where a directory
 * should be, a path under /proc).
 */
function unusable(what: string, error: unknown, fix?: string): ServiceError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== undefined && FAILING_DISK.has(code)) return new StorageError(what, error);
  return new StateError(`${what}: ${describeFsError(error)}${fix ? `: ${fix}` : ''}`, error);
}
