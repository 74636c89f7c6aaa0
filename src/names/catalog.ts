import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomicAsync } from '../state/durableFile.js';
import { DAY_MS, WEEK_MS } from '../util/time.js';

/** How old a name may get before it is fetched again: Radar renames an AS rarely. */
export const NAME_REFRESH_MS = WEEK_MS;
/** How long a key Radar has no name for is left alone before it is asked again. */
export const NAME_MISS_RETRY_MS = DAY_MS;

/** What a group key means, as Radar's entity endpoints say. */
export interface GroupName {
  /** Radar's name: "Cloudflare", "California", "Portugal". */
  name: string;
  /** What the dashboards show: "Cloudflare (AS13335)", "California, US", "Portugal". */
  label: string;
  /** Alpha-2 of the AS's or the region's country. */
  country?: string;
  countryName?: string;
  latitude?: number;
  longitude?: number;
  /** When Radar said so (also the time of its radar_names point). */
  fetchedMs: number;
}

interface CatalogFile {
  version: 1;
  names: Record<string, GroupName>;
  /** Keys Radar had no name for, and when it was asked. */
  misses: Record<string, number>;
  /**
   * When each key was first written (the time of its id-only radar_names point, so that rewriting it
   * is idempotent and any name fetched later is newer). Absent in files written before it existed.
   */
  firstSeen?: Record<string, number>;
}

/** The file's shape, checked on reading: a wrong one (`"names": []`) is set aside, never used as it is. */
const groupNameSchema = z.object({
  name: z.string(),
  label: z.string(),
  country: z.string().optional(),
  countryName: z.string().optional(),
  latitude: z.number().optional(),
  longitude: z.number().optional(),
  fetchedMs: z.number(),
});
const catalogFileSchema = z.object({
  version: z.literal(1),
  names: z.record(z.string(), groupNameSchema),
  misses: z.record(z.string(), z.number()),
  firstSeen: z.record(z.string(), z.number()).optional(),
});

const entryKey = (dimension: string, groupKey: string): string => `${dimension}|${groupKey}`;

/**
 * The names of the group keys, kept in STATE_DIR/names.json so that a restart does not fetch them
 * again. A cache: a missing or damaged file means fetching the names again, never a failure.
 */
export class NameCatalog {
  private changed = false;

  private constructor(
    readonly file: string | undefined,
    private readonly data: CatalogFile,
  ) {}

  /** The catalog of a state directory; `problem` says why an unreadable file was set aside. */
  static open(stateDir: string | undefined): { catalog: NameCatalog; problem?: string } {
    const empty = (): CatalogFile => ({ version: 1, names: {}, misses: {} });
    if (stateDir === undefined) return { catalog: new NameCatalog(undefined, empty()) };
    const file = join(stateDir, 'names.json');
    if (!existsSync(file)) return { catalog: new NameCatalog(file, empty()) };
    try {
      const parsed = catalogFileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const where = issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : '';
        throw new Error(`not a names catalog of version 1: ${where}${issue.message}`);
      }
      return { catalog: new NameCatalog(file, parsed.data as CatalogFile) };
    } catch (error) {
      return {
        catalog: new NameCatalog(file, empty()),
        problem: `${file} cannot be read (${(error as Error).message}); the names are fetched again`,
      };
    }
  }

  get(dimension: string, groupKey: string): GroupName | undefined {
    return this.data.names[entryKey(dimension, groupKey)];
  }

  /** Whether the key's name is to be fetched: never fetched, older than a week, or a miss a day old. */
  isDue(dimension: string, groupKey: string, nowMs: number): boolean {
    const key = entryKey(dimension, groupKey);
    const known = this.data.names[key];
    if (known) return nowMs - known.fetchedMs >= NAME_REFRESH_MS || known.fetchedMs > nowMs + DAY_MS;
    const missed = this.data.misses[key];
    return missed === undefined || nowMs - missed >= NAME_MISS_RETRY_MS || missed > nowMs + DAY_MS;
  }

  set(dimension: string, groupKey: string, name: GroupName): void {
    const key = entryKey(dimension, groupKey);
    this.data.names[key] = name;
    delete this.data.misses[key];
    this.changed = true;
  }

  /** When the key was first seen: `nowMs` the first time it is asked, the same time ever after. */
  firstSeen(dimension: string, groupKey: string, nowMs: number): number {
    const seen = (this.data.firstSeen ??= {});
    const key = entryKey(dimension, groupKey);
    const at = seen[key];
    if (at !== undefined) return at;
    seen[key] = nowMs;
    this.changed = true;
    return nowMs;
  }

  /** Radar had no name for the key: asked again after NAME_MISS_RETRY_MS; an older name stays. */
  miss(dimension: string, groupKey: string, nowMs: number): void {
    this.data.misses[entryKey(dimension, groupKey)] = nowMs;
    this.changed = true;
  }

  get size(): number {
    return Object.keys(this.data.names).length;
  }

  /**
   * Writes the file if anything changed (atomically: a crash leaves the old or the new one), off the
   * event loop: `run` refreshes names while it serves /healthz and fetches windows.
   */
  async save(): Promise<void> {
    if (!this.changed || this.file === undefined) return;
    this.changed = false;
    try {
      await writeFileAtomicAsync(this.file, `${JSON.stringify(this.data)}\n`);
    } catch (error) {
      this.changed = true;
      throw error;
    }
  }
}
