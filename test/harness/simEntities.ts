/** The entity endpoints of the simulator (the names of the groups), with their faults. */
import http from 'node:http';
import { simAs, simAsns, simGeoIds, simGeolocation, simLocations } from './simNames.js';

/** How an entity endpoint (names) misbehaves: an error status, no answer, a body that is not JSON or not the documented shape. */
export type EntityFault =
  | { kind: 'status'; status: number; code?: number; message?: string; retryAfterSec?: number }
  | { kind: 'hang' | 'garbage' | 'malformed' | 'ignore-list' };

export interface EntityServed {
  path: string;
  params: Record<string, string[]>;
  status: number;
  fault?: EntityFault['kind'];
}

/** What the entity endpoints need of the simulator. */
export interface EntitySim {
  readonly entityServed: EntityServed[];
  entityFault: EntityFault | undefined;
  nameGeneration: number;
  checkAuth(req: http.IncomingMessage): { status: number; code: number; message: string } | undefined;
}

/** GET /radar/entities/asns, /radar/entities/locations, /radar/geolocations (docs/radar-api.md), with `entityFault`. */
export function answerEntities(
  sim: EntitySim,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  path: string,
  params: Record<string, string[]>,
): void {
  const record: EntityServed = { path, params, status: 0 };
  sim.entityServed.push(record);
  const send = (status: number, text: string, headers: Record<string, string> = {}): void => {
    record.status = status;
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(text);
  };
  const authError = sim.checkAuth(req);
  if (authError)
    return send(
      authError.status,
      JSON.stringify({ success: false, errors: [authError], messages: [], result: null }),
    );
  const fault = sim.entityFault;
  if (fault) record.fault = fault.kind;
  if (fault?.kind === 'status')
    return send(
      fault.status,
      JSON.stringify({
        success: false,
        errors: [
          { code: fault.code ?? fault.status, message: fault.message ?? http.STATUS_CODES[fault.status] },
        ],
        messages: [],
        result: null,
      }),
      fault.retryAfterSec !== undefined ? { 'retry-after': String(fault.retryAfterSec) } : {},
    );
  if (fault?.kind === 'hang') return void (record.status = -1);
  if (fault?.kind === 'garbage') return send(200, '<html>502 Bad Gateway</html>');
  const list = (name: string): string[] | undefined =>
    fault?.kind === 'ignore-list' ? undefined : params[name]?.flatMap((v) => v.split(','));
  const limit = Number(params.limit?.[0] ?? 100);
  let result: Record<string, unknown>;
  if (path === 'entities/asns') {
    const asked = list('asn') ?? simAsns();
    result = {
      asns: asked
        .map((a) => simAs(a, sim.nameGeneration))
        .filter(Boolean)
        .slice(0, limit),
    };
  } else if (path === 'entities/locations') {
    const asked = list('location');
    result = {
      locations: simLocations()
        .filter((l) => !asked || asked.includes(l.alpha2!))
        .slice(0, limit),
    };
  } else {
    const asked = list('geoId') ?? simGeoIds();
    result = {
      geolocations: asked
        .map((g) => simGeolocation(g))
        .filter(Boolean)
        .slice(0, limit),
    };
  }
  if (fault?.kind === 'malformed') result = { [Object.keys(result)[0]!]: 'not a list' };
  send(200, JSON.stringify({ success: true, errors: [], messages: [], result }));
}
