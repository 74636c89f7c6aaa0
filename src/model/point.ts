/** What flows from flatten to a sink: points, and columns of points that share their tags. */

/** An integer field (`123i`); plain numbers are always written as floats. */
export class IntField {
  constructor(readonly value: number) {}
}

export type FieldValue = number | string | boolean | IntField;

export interface Point {
  measurement: string;
  /** Written in key order; empty values are left out (InfluxDB has no empty tags). */
  tags: Record<string, string>;
  fields: Record<string, FieldValue>;
  timeMs: number;
}

/**
 * The points of one series × group key, in columns: every point shares the tags (so line protocol
 * escapes them once per group) and differs only in time and value.
 */
export interface TrafficGroup {
  measurement: string;
  /** The one field each point has: a float. */
  field: string;
  /** Every tag has a value: a group with an empty one cannot be stored (its points go to the dead letters). */
  tags: Record<string, string>;
  timesMs: number[];
  /** The same times as text, converted once per series rather than once per point (a quarter of the CPU of serialising). */
  timeTexts: string[];
  values: number[];
}

/**
 * The points of one write: traffic in columns (the hot path: a sink can encode a group's tags once),
 * and single points (annotations, fetch records, service stats).
 */
export interface PointBatch {
  groups: readonly TrafficGroup[];
  points: readonly Point[];
}

/** A group as separate points (dead letters, tests). */
export function groupPoints(group: TrafficGroup): Point[] {
  return group.timesMs.map((timeMs, i) => ({
    measurement: group.measurement,
    tags: group.tags,
    fields: { [group.field]: group.values[i]! },
    timeMs,
  }));
}
