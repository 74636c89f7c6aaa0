import { cleanText } from '../sink/storableText.js';
import type { Logger } from '../log.js';
import type { RadarSettings } from '../model/settings.js';
import type { Geolocation } from '../radar/entityAnswers.js';
import { EntityRequestError, fetchEntityList } from '../radar/entityClient.js';
import type { RateLimiter } from '../radar/limiter.js';
import type { PointSink } from '../sink/sink.js';
import { batches } from '../sink/sink.js';
import type { Clock } from '../util/time.js';
import type { GroupName, NameCatalog } from './catalog.js';
import { namePoints } from './namePoints.js';

export { idLabel, NAMES_MEASUREMENT, namePoints, pickerOption } from './namePoints.js';

/** Ids per request: lists of 50 keep the URL short (~400 bytes) and a page small. */
export const NAMES_BATCH = 50;

/** The dimensions whose group keys are ids with a name, and what such an id looks like. */
const NAMED: Record<string, RegExp> = {
  // No real AS key has been seen in public: 13335 and AS13335 are both taken (docs/radar-api.md).
  AS: /^(?:AS)?\d{1,10}$/,
  ADM1: /^\d{1,12}$/,
  LOCATION: /^[A-Z]{2}$/,
};

/** The id the entity endpoints know a group key by: an AS key's number without its `AS`. */
function entityId(dimension: string, groupKey: string): string {
  return dimension === 'AS' ? groupKey.replace(/^AS/, '') : groupKey;
}

export function hasNames(dimension: string): boolean {
  return dimension in NAMED;
}

/** What one refresh did, for its log line and the tests. */
export interface NamesReport {
  requests: number;
  fetched: number;
  missing: number;
  /** Why a dimension's names could not be fetched this time (its old names stay). */
  problems: string[];
  written: number;
}

/**
 * The names of the group keys the service writes (AS, ADM1, LOCATION), from Radar's entity endpoints,
 * as `radar_names` points beside the traffic (never as tags on it: a name that changes would split a
 * group's history into two series). The keys come from the traffic written (`saw`); `refresh` fetches
 * the names that are missing or a week old, in batched requests through the shared rate limiter, and
 * writes the names of every key seen since the last refresh (a key without one: its id as its label). It never throws: names that cannot be
 * fetched or written are a warning, and the traffic has been written with its ids already.
 */
export class GroupNames {
  private seen = new Map<string, Set<string>>();
  private running: Promise<NamesReport> | undefined;
  private again = false;
  /** stop(): a shutdown's first step ends the names at once (they come again next time). */
  private readonly stopped = new AbortController();
  private readonly signal: AbortSignal;

  constructor(
    private readonly options: {
      catalog: NameCatalog;
      radar: RadarSettings;
      limiter: RateLimiter;
      sink: PointSink;
      logger: Logger;
      clock: Clock;
      signal?: AbortSignal;
    },
  ) {
    this.signal = options.signal
      ? AbortSignal.any([options.signal, this.stopped.signal])
      : this.stopped.signal;
  }

  /** Abandons the refresh under way (its requests, its wait for the rate limiter) and every later one. */
  stop(): void {
    this.stopped.abort();
  }

  /**
   * A group key written, of any dimension: its name (or, without one, its id as its label) is written
   * at the next refresh, and fetched if due.
   */
  saw(dimension: string, groupKey: string): void {
    let keys = this.seen.get(dimension);
    if (!keys) this.seen.set(dimension, (keys = new Set()));
    keys.add(groupKey);
  }

  /** Starts a refresh, or another one after the one under way; resolves when they are done. */
  refresh(): Promise<NamesReport> {
    if (this.signal.aborted) return Promise.resolve(emptyReport());
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const run = async (): Promise<NamesReport> => {
      let report = await this.refreshOnce();
      while (this.again && !this.signal.aborted) {
        this.again = false;
        report = await this.refreshOnce();
      }
      return report;
    };
    this.running = run()
      .catch((error: unknown) => {
        // Names never fail anything: a bug here is a warning, and the traffic is written already.
        this.options.logger.warn(`names of group keys not refreshed: ${(error as Error).message}`);
        return emptyReport();
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  /** Resolves once no refresh is under way. */
  async idle(): Promise<void> {
    await this.running;
  }

  private async refreshOnce(): Promise<NamesReport> {
    const seen = this.seen;
    this.seen = new Map();
    const report = emptyReport();
    const { catalog, logger, clock } = this.options;
    const nowMs = clock.nowMs();
    // The dimensions at once: a hanging endpoint costs one timeout, not one per dimension.
    await Promise.all(
      [...seen].map(async ([dimension, keys]) => {
        const due = [...keys].filter(
          (key) => NAMED[dimension]?.test(key) === true && catalog.isDue(dimension, key, nowMs),
        );
        if (due.length === 0) return;
        try {
          const names = await this.fetchNames(dimension, due, report);
          for (const key of due) {
            const name = names.get(key);
            if (name) {
              catalog.set(dimension, key, { ...name, fetchedMs: nowMs });
              report.fetched++;
            } else {
              catalog.miss(dimension, key, nowMs);
              report.missing++;
            }
          }
        } catch (error) {
          // A shutdown: nothing failed, and the names come again next time.
          if (this.signal.aborted) return;
          if (!(error instanceof EntityRequestError)) throw error;
          report.problems.push(`${dimension}: ${error.message}`);
        }
      }),
    );
    // Before the save: the points of keys without a name record when each was first seen.
    const points = namePoints(seen, catalog, nowMs);
    try {
      await catalog.save();
    } catch (error) {
      report.problems.push(
        `the names catalog ${catalog.file} could not be saved: ${(error as Error).message}`,
      );
    }
    if (points.length > 0 && !this.signal.aborted) {
      try {
        await this.options.sink.write({ groups: [], points }, { job: 'names' });
        report.written = points.length;
      } catch (error) {
        report.problems.push(`the names could not be written: ${(error as Error).message}`);
      }
    }
    if (report.problems.length > 0)
      logger.warn(
        `names of group keys not all refreshed (the traffic is written with its ids; they are tried again at the next run): ${report.problems.join('; ')}`,
      );
    else if (report.requests > 0)
      logger.info(
        `names: ${report.fetched} fetched${report.missing > 0 ? `, ${report.missing} unknown to Radar` : ''} in ${report.requests} requests; ${report.written} written`,
      );
    return report;
  }

  /** The names Radar has for `keys` of `dimension`, in as few requests as its list endpoints allow. */
  private async fetchNames(
    dimension: string,
    keys: readonly string[],
    report: NamesReport,
  ): Promise<Map<string, Omit<GroupName, 'fetchedMs'>>> {
    const { radar, limiter } = this.options;
    const { signal } = this;
    const names = new Map<string, Omit<GroupName, 'fetchedMs'>>();
    const wanted = new Set(keys);
    if (dimension === 'LOCATION') {
      // Some 250 locations in all: one request for every one of them costs less than lists.
      report.requests++;
      const { locations } = await fetchEntityList(radar, limiter, 'locations', { limit: '1000' }, signal);
      for (const l of locations) {
        const name = displayText(l.name);
        if (!wanted.has(l.alpha2) || !name) continue;
        names.set(l.alpha2, { name, label: name, country: l.alpha2, countryName: name, ...coordinates(l) });
      }
      return names;
    }
    // The keys of each id: an AS may come as 13335 and as AS13335.
    const keysOf = new Map<string, string[]>();
    for (const key of keys) {
      const id = entityId(dimension, key);
      keysOf.set(id, [...(keysOf.get(id) ?? []), key]);
    }
    for (const batch of batches([...keysOf.keys()], NAMES_BATCH)) {
      report.requests++;
      for (const [id, name] of await namesOfIds(radar, limiter, dimension, batch, signal))
        for (const key of keysOf.get(id) ?? []) names.set(key, name);
    }
    return names;
  }
}

/**
 * The names Radar gives a list of AS or ADM1 ids, in one request (`asn=` or `geoId=` with the list).
 * A server that ignores the list answers other entities: the caller keeps those it asked for.
 */
export async function namesOfIds(
  radar: RadarSettings,
  limiter: RateLimiter,
  dimension: string,
  ids: readonly string[],
  signal?: AbortSignal,
): Promise<Map<string, Omit<GroupName, 'fetchedMs'>>> {
  const names = new Map<string, Omit<GroupName, 'fetchedMs'>>();
  const limit = String(ids.length);
  if (dimension === 'AS') {
    const { asns } = await fetchEntityList(radar, limiter, 'asns', { asn: ids.join(','), limit }, signal);
    for (const a of asns) {
      const name = displayText(a.name);
      if (!name) continue;
      names.set(a.asn, {
        name,
        label: `${name} (AS${a.asn})`,
        ...(a.country ? { country: displayText(a.country) } : {}),
        ...(a.countryName ? { countryName: displayText(a.countryName) } : {}),
      });
    }
    return names;
  }
  const params = { geoId: ids.join(','), limit };
  const { geolocations } = await fetchEntityList(radar, limiter, 'geolocations', params, signal);
  for (const g of geolocations) {
    const name = displayText(g.name);
    if (!name) continue;
    const country = countryOf(g);
    names.set(g.geoId, {
      name,
      label: country?.code ? `${name}, ${displayText(country.code)}` : name,
      ...(country?.code ? { country: displayText(country.code) } : {}),
      ...(country ? { countryName: displayText(country.name) } : {}),
      ...coordinates(g),
    });
  }
  return names;
}

function emptyReport(): NamesReport {
  return { requests: 0, fetched: 0, missing: 0, problems: [], written: 0 };
}

/** The region's country: the first parent (or itself) of type COUNTRY. */
function countryOf(g: Geolocation): Geolocation | undefined {
  for (let at: Geolocation | null | undefined = g.parent; at; at = at.parent)
    if (at.type === 'COUNTRY') return at;
  return undefined;
}

function coordinates(place: {
  latitude?: number | null | undefined;
  longitude?: number | null | undefined;
}): {
  latitude?: number;
  longitude?: number;
} {
  const { latitude, longitude } = place;
  if (typeof latitude !== 'number' || typeof longitude !== 'number') return {};
  if (Math.abs(latitude) > 90 || Math.abs(longitude) > 180) return {};
  return { latitude, longitude };
}

/** A name as a display text: the one cleaning rule of every string written (sink/storableText.ts). */
export const displayText = cleanText;
