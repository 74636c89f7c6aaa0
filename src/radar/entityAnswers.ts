import { z } from 'zod';

/**
 * What Radar's entity endpoints answer, as the names need it (docs/radar-api.md, from cloudflare-typescript
 * `src/resources/radar/entities/asns.ts`, `entities/locations.ts`, `geolocations.ts`). Only the fields
 * the names use are required; anything else may come or go. Coordinates come as numeric strings in
 * the spec and are accepted as numbers too.
 */

const coordinate = z.union([z.number(), z.string().trim().min(1)]).transform((v, ctx) => {
  const n = Number(v);
  if (!Number.isFinite(n)) ctx.addIssue({ code: 'custom', message: `not a number: ${JSON.stringify(v)}` });
  return n;
});

export const asnEntity = z.object({
  asn: z.union([z.number().int(), z.string().regex(/^\d+$/)]).transform(String),
  name: z.string(),
  aka: z.string().nullish(),
  orgName: z.string().nullish(),
  country: z.string().nullish(),
  countryName: z.string().nullish(),
});

export const locationEntity = z.object({
  alpha2: z.string(),
  name: z.string(),
  latitude: coordinate.nullish(),
  longitude: coordinate.nullish(),
});

/** A geolocation with its parents (ADM1 → COUNTRY → CONTINENT); the parent chain is optional. */
export interface Geolocation {
  geoId: string;
  name: string;
  code?: string | null | undefined;
  type?: string | null | undefined;
  latitude?: number | null | undefined;
  longitude?: number | null | undefined;
  parent?: Geolocation | null | undefined;
}

export const geolocationEntity: z.ZodType<Geolocation> = z.lazy(() =>
  z.object({
    geoId: z.union([z.number().int(), z.string().regex(/^\d+$/)]).transform(String),
    name: z.string(),
    code: z.string().nullish(),
    type: z.string().nullish(),
    latitude: coordinate.nullish(),
    longitude: coordinate.nullish(),
    parent: geolocationEntity.nullish(),
  }),
);

/** The `result` of each list endpoint: the array under its documented key. */
export const entityLists = {
  asns: z.object({ asns: z.array(asnEntity) }),
  locations: z.object({ locations: z.array(locationEntity) }),
  geolocations: z.object({ geolocations: z.array(geolocationEntity) }),
} as const;
