/**
 * Evaluates a provisioned Grafana alert rule the way Grafana would, without Grafana: each InfluxQL
 * query with its macros expanded over its own relative time range (and InfluxDB's now() being the
 * evaluation time), one series per tag set (Grafana's labels), then the rule's server-side
 * expressions (reduce, math, threshold) in order, and the condition's non-zero instances are the ones
 * that fire.
 *
 * NoData is Grafana's: as soon as any one data query returns no series, the whole rule is NoData and
 * its noDataState applies, whatever the other queries hold (pkg/services/ngalert/eval/eval.go:
 * queryDataResponseToExecutionResults records each datasource query with no frames in NoData, and
 * evaluateExecutionResult returns NoData when that is not empty, before it looks at the condition).
 */
import type { ProvisionedRule } from '../../src/grafana/alertProvisioning.js';

type Labels = Record<string, string>;
/** Results of one step: per label set (its key), the labels and a series of values or one number. */
type Results = Map<string, { labels: Labels; values: number[] }>;

export interface Evaluation {
  /** The label sets of the instances that fire. */
  firing: Labels[];
  /** A data query returned no series, or the condition no instance: Grafana applies the rule's noDataState. */
  noData: boolean;
  /** The data queries that returned no series (Grafana's ref_id label of the NoData instance). */
  emptyQueries?: string[];
  /** A query failed (InfluxDB unreachable): Grafana applies the rule's execErrState. */
  error?: string;
}

const keyOf = (labels: Labels): string =>
  JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));

/** Grafana's InfluxQL `$timeFilter` for [from, to]. */
export function timeFilter(fromMs: number, toMs: number): string {
  return `time >= ${fromMs}ms and time <= ${toMs}ms`;
}

async function runInfluxQL(influxUrl: string, db: string, query: string): Promise<Results> {
  const params = new URLSearchParams({ q: query, db, epoch: 'ms' });
  const res = await fetch(`${influxUrl}/query?${params}`, { method: 'POST' });
  const body = (await res.json()) as {
    results: { error?: string; series?: { tags?: Labels; values: [number, number | null][] }[] }[];
  };
  const result = body.results[0]!;
  if (result.error) throw new Error(result.error);
  const out: Results = new Map();
  for (const series of result.series ?? []) {
    const labels = series.tags ?? {};
    out.set(keyOf(labels), {
      labels,
      values: series.values.map((row) => row[1]).filter((v): v is number => typeof v === 'number'),
    });
  }
  return out;
}

const REDUCERS: Record<string, (values: number[]) => number> = {
  mean: (values) => values.reduce((a, b) => a + b, 0) / values.length,
  max: (values) => Math.max(...values),
  last: (values) => values[values.length - 1]!,
};

function reduce(input: Results, reducer: string): Results {
  const reduceValues = REDUCERS[reducer];
  if (!reduceValues) throw new Error(`reducer ${reducer} is not one this harness knows`);
  const out: Results = new Map();
  for (const [key, { labels, values }] of input)
    out.set(key, { labels, values: [values.length === 0 ? NaN : reduceValues(values)] });
  return out;
}

/** A math expression over reduced results: computed for the label sets every referenced result has. */
function math(results: Map<string, Results>, formula: string): Results {
  if (!/^[\s\w$.()<>=!&|+\-*/]+$/.test(formula)) throw new Error(`unexpected math expression: ${formula}`);
  const refs = [...new Set([...formula.matchAll(/\$(\w+)/g)].map((m) => m[1]!))];
  const inputs = refs.map((ref) => {
    const result = results.get(ref);
    if (!result) throw new Error(`math refers to $${ref}, which comes later or not at all`);
    return result;
  });
  const out: Results = new Map();
  for (const [key, { labels }] of inputs[0] ?? new Map<string, never>()) {
    if (!inputs.every((input) => input.has(key))) continue; // Grafana drops what does not pair up
    const args = inputs.map((input) => input.get(key)!.values[0]!);
    const body = formula.replace(/\$(\w+)/g, (_, ref: string) => `a[${refs.indexOf(ref)}]`);
    const value = Number(new Function('a', `return (${body});`)(args));
    out.set(key, { labels, values: [value] });
  }
  return out;
}

function threshold(input: Results, evaluator: { type: string; params: number[] }): Results {
  const out: Results = new Map();
  const limit = evaluator.params[0]!;
  for (const [key, { labels, values }] of input) {
    const v = values[0]!;
    const fires = evaluator.type === 'gt' ? v > limit : evaluator.type === 'lt' ? v < limit : undefined;
    if (fires === undefined) throw new Error(`threshold ${evaluator.type} is not one this harness knows`);
    out.set(key, { labels, values: [fires ? 1 : 0] });
  }
  return out;
}

export async function evaluateRule(
  rule: ProvisionedRule,
  influx: { url: string; db: string },
  nowMs = Date.now(),
): Promise<Evaluation> {
  const results = new Map<string, Results>();
  const emptyQueries: string[] = [];
  for (const step of rule.data) {
    const model = step.model;
    if (step.datasourceUid !== '__expr__') {
      const range = step.relativeTimeRange!;
      const query = String(model.query)
        .replace(/\$timeFilter/g, timeFilter(nowMs - range.from * 1000, nowMs - range.to * 1000))
        .replace(/\bnow\(\)/g, `${nowMs}ms`);
      try {
        const result = await runInfluxQL(influx.url, influx.db, query);
        if (result.size === 0) emptyQueries.push(step.refId);
        results.set(step.refId, result);
      } catch (error) {
        return { firing: [], noData: false, error: (error as Error).message };
      }
      continue;
    }
    const input = () => {
      const ref = String(model.expression);
      const result = results.get(ref);
      if (!result) throw new Error(`${step.refId} refers to ${ref}, which comes later or not at all`);
      return result;
    };
    if (model.type === 'reduce') results.set(step.refId, reduce(input(), String(model.reducer)));
    else if (model.type === 'math') results.set(step.refId, math(results, String(model.expression)));
    else if (model.type === 'threshold')
      results.set(
        step.refId,
        threshold(
          input(),
          (model.conditions as { evaluator: { type: string; params: number[] } }[])[0]!.evaluator,
        ),
      );
    else throw new Error(`expression type ${String(model.type)} is not one this harness knows`);
  }
  const condition = results.get(rule.condition);
  if (!condition) throw new Error(`the condition ${rule.condition} is not a step of the rule`);
  if (emptyQueries.length > 0) return { firing: [], noData: true, emptyQueries };
  return {
    firing: [...condition.values()].filter((r) => r.values[0] !== 0).map((r) => r.labels),
    noData: condition.size === 0,
  };
}
