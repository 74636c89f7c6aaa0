import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type * as common from '@grafana/grafana-foundation-sdk/common';

/** The datasource every dashboard uses; grafana/provisioning creates it with this uid. */
export const DATASOURCE: common.DataSourceRef = { type: 'influxdb', uid: 'radar-influxdb' };

/**
 * A raw InfluxQL target (the SDK has no InfluxDB query builder). Raw InfluxQL is the one query
 * language that runs on InfluxDB 1.x, 2.x (through DBRP mappings) and 3.x, and it can be checked
 * outside Grafana, which the dashboard test does.
 */
export class InfluxQLQuery implements cog.Builder<cog.Dataquery> {
  constructor(
    private readonly query: string,
    private readonly options: { refId?: string; alias?: string; format?: 'time_series' | 'table' } = {},
  ) {}

  build(): cog.Dataquery {
    return {
      refId: this.options.refId ?? 'A',
      datasource: DATASOURCE,
      query: this.query,
      rawQuery: true,
      resultFormat: this.options.format ?? 'time_series',
      ...(this.options.alias ? { alias: this.options.alias } : {}),
      _implementsDataqueryVariant() {},
    } as cog.Dataquery;
  }
}

/** `"tag" =~ /^$var$/` for each variable: how a multi-value variable filters in InfluxQL. */
export function matchVariables(tagsToVariables: Record<string, string>): string {
  return Object.entries(tagsToVariables)
    .map(([tag, variable]) => `"${tag}" =~ /^$${variable}$/`)
    .join(' AND ');
}
