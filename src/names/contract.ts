import type { RadarSettings } from '../model/settings.js';
import { EntityRequestError, fetchEntityList } from '../radar/entityClient.js';
import type { RateLimiter } from '../radar/limiter.js';
import { namesOfIds } from './groupNames.js';

/** What `doctor` checks of an entity endpoint the names use: one request each. */
export interface NamesFinding {
  what: string;
  problem?: string;
  note?: string;
}

/** Two well-known ids per dimension: whether a list of them comes back as asked (docs/radar-api.md: inferred). */
const PROBES: Record<string, string[]> = { AS: ['13335', '15169'], ADM1: ['5332921', '2267056'] };

/**
 * Checks the assumptions the names rest on, for `dimensions` (those that have names): that the endpoint
 * answers with these credentials, in the documented shape, and that `asn=` / `geoId=` take a comma list
 * (typed as a plain string in the spec): answered with exactly the ids asked, not a page of others.
 */
export async function namesFindings(
  radar: RadarSettings,
  limiter: RateLimiter,
  dimensions: readonly string[],
): Promise<NamesFinding[]> {
  const findings: NamesFinding[] = [];
  for (const dimension of dimensions) {
    const what = `names ${dimension}`;
    try {
      if (dimension === 'LOCATION') {
        const { locations } = await fetchEntityList(radar, limiter, 'locations', { limit: '1000' });
        // One page of up to 1000: a full page means there may be more than the names would see.
        findings.push(
          locations.length > 0 && locations.length < 1000
            ? { what, note: `${locations.length} locations in one request` }
            : {
                what,
                problem: `${locations.length} locations in one request of up to 1000: some countries would have no name`,
              },
        );
        continue;
      }
      const ids = PROBES[dimension]!;
      const got = [...(await namesOfIds(radar, limiter, dimension, ids)).keys()];
      const param = dimension === 'AS' ? 'asn' : 'geoId';
      const missing = ids.filter((id) => !got.includes(id));
      findings.push(
        missing.length === 0
          ? { what, note: `a list of ${param}= (${ids.join(',')}) answered with those ${ids.length}` }
          : {
              what,
              problem: `asked ${param}=${ids.join(',')}, answered ${got.length > 0 ? got.join(',') : 'none'}: lists are not taken as the names assume, so keys would stay without a name (the data is not affected)`,
            },
      );
    } catch (error) {
      if (!(error instanceof EntityRequestError)) throw error;
      findings.push({
        what,
        problem: `${error.message} (the data is not affected; groups keep their ids)`,
      });
    }
  }
  return findings;
}
