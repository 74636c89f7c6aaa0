/** The faults the simulator serves on demand: what each does to an answer (radarSimulator.ts). */
import type http from 'node:http';
import { iso } from './simData.js';

export type Fault =
  | { kind: 'status'; status: number; code?: number; message?: string; retryAfterSec?: number }
  | { kind: 'success-false'; code: number; message: string }
  | {
      kind:
        | 'hang'
        | 'reset'
        | 'truncated'
        | 'malformed'
        | 'unequal'
        | 'missing-series'
        | 'extra-fields'
        | 'empty'
        /** The second timestamp repeats the first. */
        | 'duplicate-timestamp'
        /** Every timestamp 7 minutes past its bucket. */
        | 'off-grid'
        /** Timestamps without a zone ("2026-08-14T09:00:00"). */
        | 'no-zone'
        /** A valid answer padded to about 100 MB. */
        | 'huge';
    }
  /** Every timestamp moved by `byMs` (outside the window asked for). */
  | { kind: 'shift'; byMs: number }
  /** Valid data whose group keys are renamed to these, in order. */
  | { kind: 'hostile-keys'; keys: string[] }
  /** A broken or hostile answer: `groups` groups of one bucket each (a small body, a huge shape). */
  | { kind: 'many-groups'; groups: number }
  /** Valid data whose meta says something else (a daily answer to an hourly request, RAW_VALUES …). */
  | { kind: 'meta'; meta: Record<string, unknown> };

export interface Served {
  atMs: number;
  dimension: string;
  params: Record<string, string[]>;
  /** The query string as it came, undecoded. */
  rawQuery: string;
  status: number;
  /** The JSON answered with success: true, as sent. */
  body?: { result: Record<string, unknown> };
  fault?: Fault['kind'];
}

/** A successful answer, spoilt as the fault says (or sent as it is), its record updated. */
export function sendFaulty(
  fault: Fault,
  body: { result: Record<string, unknown> },
  res: http.ServerResponse,
  record: Served,
): void {
  const text = JSON.stringify(body);
  record.status = 200;
  const firstSeries = Object.keys(body.result).find((k) => k !== 'meta')!;
  const series = body.result[firstSeries] as Record<string, unknown[]>;
  switch (fault.kind) {
    case 'reset':
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(text.length) });
      res.write(text.slice(0, text.length / 2));
      return void setTimeout(() => res.socket?.destroy(), 20);
    case 'truncated':
      return void res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(text.slice(0, text.length / 2));
    case 'malformed':
      return void res
        .writeHead(200, { 'content-type': 'application/json' })
        .end('<html>502 Bad Gateway</html>');
    case 'unequal': {
      const group = Object.keys(series).find((k) => k !== 'timestamps');
      if (group) series[group] = series[group]!.slice(1);
      break;
    }
    case 'missing-series':
      delete body.result[firstSeries];
      break;
    case 'empty':
      body.result[firstSeries] = { timestamps: [] };
      break;
    case 'duplicate-timestamp':
      if (series.timestamps!.length > 1) series.timestamps![1] = series.timestamps![0];
      break;
    case 'off-grid':
    case 'shift': {
      const byMs = fault.kind === 'shift' ? fault.byMs : 7 * 60_000;
      series.timestamps = series.timestamps!.map((t) => iso(Date.parse(t as string) + byMs));
      break;
    }
    case 'no-zone':
      series.timestamps = series.timestamps!.map((t) => (t as string).replace(/Z$/, ''));
      break;
    case 'huge':
      Object.assign(body.result, { padding: 'x'.repeat(100_000_000) });
      break;
    case 'hostile-keys': {
      const groups = Object.keys(series).filter((k) => k !== 'timestamps');
      const renamed: Record<string, unknown[]> = { timestamps: series.timestamps! };
      groups.forEach((group, i) => (renamed[fault.keys[i] ?? group] = series[group]!));
      body.result[firstSeries] = renamed;
      record.body = body;
      break;
    }
    case 'many-groups': {
      const wide: Record<string, unknown[]> = { timestamps: series.timestamps!.slice(0, 1) };
      for (let i = 0; i < fault.groups; i++) wide[`g${i}`] = ['1'];
      body.result[firstSeries] = wide;
      break;
    }
    case 'meta':
      Object.assign(body.result.meta as object, fault.meta);
      break;
    case 'extra-fields':
      Object.assign(body.result, { newTopLevelThing: { a: 1 } });
      Object.assign(body.result.meta as object, {
        somethingNew: [1, 2],
        units: [{ name: '*', value: 'bytes' }],
      });
      // Valid data with unknown fields: this answer counts as served.
      record.body = body;
      break;
    default:
      break;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
