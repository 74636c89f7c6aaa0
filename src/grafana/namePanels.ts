import * as common from '@grafana/grafana-foundation-sdk/common';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as geomap from '@grafana/grafana-foundation-sdk/geomap';
import * as table from '@grafana/grafana-foundation-sdk/table';
import { DATASOURCE, InfluxQLQuery, matchVariables } from './influxql.js';

/**
 * Panels that show a group by its name: the traffic query and a query of `radar_names` (one series
 * per dimension × group key, the newest point the name: see src/names/groupNames.ts), joined by
 * `group_key` in Grafana. Names are never tags of the traffic, so no traffic query can count a point
 * twice or split a group's history when Radar renames a group; only these panels read them.
 *
 * Transformations, as Grafana defines them (the dashboard tests run them on the query results with
 * Grafana's own @grafana/data, and a model of partitionByValues: test/harness/grafanaFrames.ts):
 * - joinByField (packages/grafana-data/src/transformations/transformers/joinByField.ts,
 *   joinDataFrames.ts): `outer` joins the frames on `byField` as uPlot joins times (one row per
 *   distinct key: right for tables of one row per group); `outerTabular` joins every row of every
 *   frame with the first matching row of each other frame (right for many rows per group: series);
 * - filterByValue (…/transformers/filterByValue.ts, valueMatchers/nullMatchers.ts): keeps the rows
 *   whose traffic field is not null or undefined, i.e. drops the names of groups not drawn;
 * - partitionByValues (public/app/features/transformers/partitionByValues/partitionByValues.ts): one
 *   frame per distinct job, series, interval, group key and label, those values its fields' labels;
 * - a transformation's `filter` (packages/grafana-data/src/transformations/transformDataFrame.ts):
 *   applies it to the frames of one query only;
 * - calculateField (…/transformers/calculateField.ts), binary mode: the change over the range;
 * - organize (…/transformers/order.ts, rename.ts, filterByName.ts): hides and renames columns.
 */

/** Names of the dimension's group keys: the newest of each (names are written when fetched, weekly). */
const names = (dimension: string): string =>
  `SELECT last("label") AS "name", last("country") AS "country", last("latitude") AS "latitude", ` +
  `last("longitude") AS "longitude" FROM "radar_names" WHERE ${dimension} GROUP BY "group_key"`;

/** The label of each of the dimension's group keys: a name, or the id until one is known. */
const labels = (dimension: string): string =>
  `SELECT last("label") AS "label" FROM "radar_names" WHERE ${dimension} GROUP BY "group_key"`;

const joinByGroupKey: dashboard.DataTransformerConfig = {
  id: 'joinByField',
  options: { byField: 'group_key', mode: 'outer' },
};

const onlyDrawn = (field: string): dashboard.DataTransformerConfig => ({
  id: 'filterByValue',
  options: {
    type: 'include',
    match: 'all',
    filters: [{ fieldName: field, config: { id: 'isNotNull', options: {} } }],
  },
});

/** The columns every table of groups by name shows first, as they are called there. */
const NAME_COLUMNS = { name: 'Name', group_key: 'Id', country: 'Country' };

/**
 * A table of groups by name: the traffic query (table format, one row per group) joined with the names
 * of the dimension's groups, the names of groups it does not draw (`drawn` empty) left out.
 */
function groupsByName(
  title: string,
  description: string,
  traffic: string,
  drawn: string,
): table.PanelBuilder {
  return new table.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .withTarget(new InfluxQLQuery(traffic, { refId: 'A', format: 'table' }))
    .withTarget(
      new InfluxQLQuery(names(matchVariables({ dimension: 'dimension' })), { refId: 'B', format: 'table' }),
    )
    .withTransformation(joinByGroupKey)
    .withTransformation(onlyDrawn(drawn));
}

/** The share of each group over the range, by name: now, its change, and its mean. */
export function topGroupsTable(trafficFilter: string, groupBy: string): table.PanelBuilder {
  return groupsByName(
    'Top groups by name ($job, $series, $agg_interval)',
    "Each group's share at the end of the range, its change since the start, and its mean, with the name " +
      'Radar gives it (AS, region, country; fetched weekly). A group whose name is not known yet shows its id alone.',
    `SELECT last("value") AS "current", first("value") AS "first", mean("value") AS "mean" FROM "radar_netflows" ` +
      `WHERE ${trafficFilter} AND $timeFilter GROUP BY ${groupBy}`,
    'current',
  )
    .withTransformation({
      id: 'calculateField',
      options: {
        mode: 'binary',
        binary: { left: 'current', operator: '-', right: 'first' },
        alias: 'change',
        replaceFields: false,
      },
    })
    .withTransformation({
      id: 'organize',
      options: {
        excludeByName: { Time: true, first: true, latitude: true, longitude: true },
        indexByName: { name: 0, group_key: 1, country: 2, current: 3, change: 4, mean: 5 },
        renameByName: {
          ...NAME_COLUMNS,
          current: 'Share now',
          change: 'Change over the range',
          mean: 'Mean share',
        },
      },
    })
    .sortBy([new common.TableSortByFieldStateBuilder().displayName('Share now').desc(true)])
    .unit('percent')
    .height(10)
    .span(24);
}

/**
 * The groups whose share moved most over the range (trends dashboard): first and last share, the
 * change, and its size, by name, largest move first. `filter` selects one job, series, dimension and
 * interval.
 */
export function moversTable(filter: string): table.PanelBuilder {
  return groupsByName(
    'Groups whose share moved most ($job, $series, every $trend_interval)',
    "Each group's share at the start and at the end of the range, and the change between them, largest " +
      "move (up or down) first. Radar's events (the annotations) may explain a step that is not traffic.",
    `SELECT first("value") AS "first", last("value") AS "last", last("value") - first("value") AS "change", ` +
      `abs(last("value") - first("value")) AS "moved" FROM "radar_netflows" WHERE ${filter} AND $timeFilter GROUP BY "group_key"`,
    'moved',
  )
    .withTransformation({
      id: 'organize',
      options: {
        excludeByName: { Time: true, latitude: true, longitude: true },
        indexByName: { name: 0, group_key: 1, country: 2, first: 3, last: 4, change: 5, moved: 6 },
        renameByName: {
          ...NAME_COLUMNS,
          first: 'Share at the start',
          last: 'Share at the end',
          change: 'Change',
          moved: 'Moved by',
        },
      },
    })
    .sortBy([new common.TableSortByFieldStateBuilder().displayName('Moved by').desc(true)])
    .unit('percent')
    .height(10)
    .span(24);
}

/**
 * A world map of one dimension's shares: LOCATION by Grafana's countries gazetteer (looked up by the
 * alpha-2 group key: public/app/features/geo/gazetteer/gazetteer.ts loads public/gazetteer/countries.json,
 * keyed by alpha-2), ADM1 by the coordinates Radar gives each region.
 */
export function shareMap(dimension: 'LOCATION' | 'ADM1', filter: string): geomap.PanelBuilder {
  const location: common.FrameGeometrySource =
    dimension === 'LOCATION'
      ? {
          mode: common.FrameGeometrySourceMode.Lookup,
          lookup: 'group_key',
          gazetteer: 'public/gazetteer/countries.json',
        }
      : { mode: common.FrameGeometrySourceMode.Coords, latitude: 'latitude', longitude: 'longitude' };
  const layer: common.MapLayerOptions = {
    type: 'markers',
    name: dimension === 'LOCATION' ? 'Countries' : 'Regions',
    tooltip: true,
    location,
    config: {
      showLegend: true,
      style: {
        size: { field: 'share', fixed: 5, min: 3, max: 25 },
        color: { field: 'share', fixed: 'dark-green' },
        opacity: 0.5,
        text: { mode: 'field', field: 'name', fixed: '' },
        textConfig: { fontSize: 10, offsetY: -12, textAlign: 'center', textBaseline: 'middle' },
      },
    },
  };
  return new geomap.PanelBuilder()
    .title(`Map of ${dimension} shares ($job, $series, $agg_interval)`)
    .description(
      `The latest share of each ${dimension === 'LOCATION' ? 'country' : 'region'} in the range, on a world map, named as Radar names it.`,
    )
    .datasource(DATASOURCE)
    .withTarget(
      new InfluxQLQuery(
        `SELECT last("value") AS "share" FROM "radar_netflows" WHERE ${filter} AND "dimension" = '${dimension}' ` +
          `AND "group_key" != 'other' AND $timeFilter GROUP BY "group_key"`,
        { refId: 'A', format: 'table' },
      ),
    )
    .withTarget(new InfluxQLQuery(names(`"dimension" = '${dimension}'`), { refId: 'B', format: 'table' }))
    .withTransformation(joinByGroupKey)
    .withTransformation(onlyDrawn('share'))
    .unit('percent')
    .view(new geomap.MapViewConfigBuilder().id('zero').lat(20).lon(0).zoom(1))
    .basemap({ build: () => ({ type: 'default', name: 'Basemap' }) })
    .layers([{ build: () => layer }])
    .tooltip(new geomap.TooltipOptionsBuilder().mode(geomap.TooltipMode.Details))
    .height(12)
    .span(12);
}

/** What a panel needs to take another query and transformations; the SDK's panel builders have these. */
interface SeriesPanel {
  withTarget(target: InfluxQLQuery): this;
  withTransformation(transformation: dashboard.DataTransformerConfig): this;
  overrideByFieldType(fieldType: string, properties: dashboard.DynamicConfigValue[]): this;
}

/** The tags that make one series of shares; each series keeps its own frame after the join. */
const SERIES_TAGS = ['job', 'series', 'agg_interval', 'group_key'];

/**
 * Names a panel's series by their groups: its traffic targets (table format, one row per point with
 * the series' tags as columns, `drawn` the field every point has) are joined with the labels of the
 * dimension by group key, then cut into one frame per series with the label among its field labels,
 * so that the legend, tooltip and bars read "Cloudflare (AS13335)" instead of 13335. `displayName`
 * is Grafana's template for each numeric field (`${__field.labels.label}` is the label).
 *
 * Why an override and not the panel's default display name: a default only fills what a field does
 * not set, and partitionByValues sets each field's display name (fieldOverrides.ts,
 * setFieldConfigDefaults; partitionByValues.ts restores `config.displayName`); an override replaces it.
 * The labels' Time column is dropped first so that each series has one time field.
 */
export function withGroupLabels<P extends SeriesPanel>(
  panel: P,
  dimension: string,
  drawn: string,
  displayName = '${__field.labels.label}',
): P {
  return panel
    .withTarget(new InfluxQLQuery(labels(dimension), { refId: 'Names', format: 'table' }))
    .withTransformation({
      id: 'organize',
      filter: { id: 'byRefId', options: 'Names' },
      options: { excludeByName: { Time: true } },
    })
    .withTransformation({ id: 'joinByField', options: { byField: 'group_key', mode: 'outerTabular' } })
    .withTransformation(onlyDrawn(drawn))
    .withTransformation({
      id: 'partitionByValues',
      options: { fields: [...SERIES_TAGS, 'label'], keepFields: false, naming: { asLabels: true } },
    })
    .overrideByFieldType('number', [{ id: 'displayName', value: displayName }]);
}
