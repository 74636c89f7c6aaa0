/** The queries of an alert rule: InfluxQL against the shipped datasource, and Grafana's expressions over them. */
import { QueryBuilder } from '@grafana/grafana-foundation-sdk/alerting';
import type * as alerting from '@grafana/grafana-foundation-sdk/alerting';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import {
  TypeMathBuilder,
  TypeReduceBuilder,
  TypeThresholdBuilder,
} from '@grafana/grafana-foundation-sdk/expr';
import { DATASOURCE, InfluxQLQuery } from './influxql.js';

/** Grafana's server-side expressions are a datasource of their own. */
const EXPRESSIONS = { type: '__expr__', uid: '__expr__' };
/** A query of the rule: InfluxQL against the shipped datasource over [now - fromS, now - toS]. */
export function influx(refId: string, query: string, fromS: number, toS = 0): cog.Builder<alerting.Query> {
  return new QueryBuilder(refId)
    .datasourceUid(DATASOURCE.uid!)
    .relativeTimeRange({ from: fromS, to: toS })
    .model(new InfluxQLQuery(query, { refId }));
}

function expression(refId: string, model: cog.Builder<cog.Dataquery>): cog.Builder<alerting.Query> {
  return new QueryBuilder(refId).datasourceUid(EXPRESSIONS.uid).model(model);
}

export const reduce = (refId: string, of: string, reducer: 'mean' | 'last' | 'max') =>
  expression(
    refId,
    new TypeReduceBuilder().refId(refId).datasource(EXPRESSIONS).expression(of).reducer(reducer),
  );
export const math = (refId: string, formula: string) =>
  expression(refId, new TypeMathBuilder().refId(refId).datasource(EXPRESSIONS).expression(formula));
export const above = (refId: string, of: string, value: number) =>
  expression(
    refId,
    new TypeThresholdBuilder()
      .refId(refId)
      .datasource(EXPRESSIONS)
      .expression(of)
      .conditions([{ evaluator: { params: [value], type: 'gt' } }]),
  );
