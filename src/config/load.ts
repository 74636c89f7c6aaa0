import { readFileSync, statSync } from 'node:fs';
import { LineCounter, parseDocument, visit, type Document } from 'yaml';
import { z } from 'zod';
import { ServiceError } from '../errors.js';
import { DIMENSIONS_WITHOUT_LIMIT } from '../model/vocabulary.js';
import { DEFAULT_SCHEDULE } from './plan.js';
import { interpolateEnv } from './interpolate.js';
import { formatPath, positionOf, type ConfigPath } from './positions.js';
import { configSchema, type RawConfig } from './schema.js';
import { quoteValue } from '../util/text.js';

/** One problem in jobs.yaml, with where it is. */
export interface ConfigProblem {
  file: string;
  line: number;
  col: number;
  message: string;
}

export class ConfigError extends ServiceError {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super('config_invalid', problems.map(formatProblem).join('\n'));
    this.problems = problems;
  }
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.message}`;
}

/**
 * The largest jobs.yaml read: a real one is a few KiB (every dimension and interval of the example is
 * 6 KiB); a larger one is a mistake or an attack, and validating 10 MB took 42 s and 1.6 GB, inside
 * `run`'s SIGHUP. At this size validation takes well under a second.
 */
export const MAX_CONFIG_BYTES = 256 * 1024;

/** How many aliases a jobs.yaml may expand: an alias bomb (a billion laughs) stops at this many. */
const MAX_ALIASES = 100;

/** Reads, interpolates and validates jobs.yaml; throws ConfigError listing every problem found. */
export function loadConfigFile(file: string, env: NodeJS.ProcessEnv): RawConfig {
  let text: string;
  try {
    const bytes = statSync(file).size;
    if (bytes > MAX_CONFIG_BYTES)
      throw new ConfigError([
        {
          file,
          line: 1,
          col: 1,
          message: `the config is ${bytes} bytes; a jobs.yaml may be at most ${MAX_CONFIG_BYTES} bytes (is this the right file?)`,
        },
      ]);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'file not found (radar-netflows init writes the example jobs.yaml there; or give --config FILE)'
        : String(error);
    throw new ConfigError([{ file, line: 1, col: 1, message: `cannot read the config: ${reason}` }]);
  }
  return parseConfigText(text, file, env);
}

export function parseConfigText(text: string, file: string, env: NodeJS.ProcessEnv): RawConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const problemAt = (offset: number, message: string): ConfigProblem => ({
    file,
    ...lines.linePos(offset),
    message,
  });
  if (doc.errors.length > 0) {
    // The first syntax error is the one to fix; the ones after it are mostly its echoes.
    const first = doc.errors[0]!;
    throw new ConfigError([problemAt(first.pos[0], `invalid YAML: ${first.message.split('\n')[0]}`)]);
  }
  const missing = interpolateEnv(doc, env, (path) => schemaNodeAt(path)?.type === 'string');
  if (missing.length > 0) {
    throw new ConfigError(
      missing.map((m) =>
        problemAt(
          m.offset,
          `environment variable ${m.name} is not set (write \${${m.name}:-default} for a default)`,
        ),
      ),
    );
  }
  const at = (path: ConfigPath, message: string, keyName?: string): ConfigProblem => ({
    file,
    ...positionOf(doc, lines, path, keyName),
    message,
  });
  let plain: unknown;
  try {
    plain = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    // yaml's ReferenceError "Excessive alias count indicates a resource exhaustion attack".
    const alias = firstAliasOffset(doc);
    throw new ConfigError([
      problemAt(
        alias ?? 0,
        `invalid YAML: its aliases (*name) expand to too much (${(error as Error).message.split('\n')[0]}); write the values out`,
      ),
    ]);
  }
  const parsed = configSchema.safeParse(plain ?? {});
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.flatMap((issue) => describeIssue(doc, issue, at)));
  }
  const crossProblems = crossCheck(parsed.data).map((p) => at(p.path, p.message));
  if (crossProblems.length > 0) throw new ConfigError(crossProblems);
  return parsed.data;
}

type At = (path: ConfigPath, message: string, keyName?: string) => ConfigProblem;

/** Where the document's first alias is (its offset), if it has one. */
function firstAliasOffset(doc: Document): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Alias(_key, node) {
      offset = node.range?.[0];
      return visit.BREAK;
    },
  });
  return offset;
}

function describeIssue(doc: Document, issue: z.core.$ZodIssue, at: At): ConfigProblem[] {
  const where = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) =>
      at(
        issue.path,
        `${formatPath([...issue.path, key])}: unknown key ${quoteValue(key)}${allowedKeysHint(issue.path)}`,
        key,
      ),
    );
  }
  const secret = isSecretPath(issue.path);
  const value = secret ? undefined : doc.getIn(issue.path as unknown[]);
  const shown = secret ? ' (value not shown: a secret)' : value === undefined ? '' : ` ${quoteValue(value)}`;
  if (issue.code === 'invalid_value') {
    const allowed = issue.values.map(String).join(', ');
    return [at(issue.path, `${where}:${shown} is not allowed; expected one of ${allowed}`)];
  }
  if (issue.code === 'invalid_type') {
    const got = secret
      ? `a ${typeof doc.getIn(issue.path as unknown[])} (value not shown: a secret)`
      : value === undefined
        ? 'nothing'
        : quoteValue(value);
    const expected =
      issue.expected === 'object'
        ? 'a mapping'
        : issue.expected === 'array'
          ? 'a list'
          : `a ${issue.expected}`;
    return [at(issue.path, `${where}: expected ${expected}, got ${got}`)];
  }
  // A rule whose message already quotes the value (`"XX" is not …`) says so in its params.
  if (issue.code === 'custom' && (issue.params as { quotesValue?: boolean } | undefined)?.quotesValue) {
    return [at(issue.path, `${where}: ${issue.message}`)];
  }
  return [at(issue.path, `${where}:${shown} ${issue.message}`)];
}

function allowedKeysHint(path: readonly PropertyKey[]): string {
  const properties = schemaNodeAt(path)?.properties;
  return properties ? `; allowed keys: ${Object.keys(properties).join(', ')}` : '';
}

/** The schema of the value at `path`, from the schema's JSON Schema (zod's public API). */
function schemaNodeAt(path: readonly PropertyKey[]): JsonSchemaNode | undefined {
  let node: JsonSchemaNode | undefined = configJsonSchema();
  for (const segment of path) {
    node = typeof segment === 'number' ? node?.items : node?.properties?.[String(segment)];
  }
  return node;
}

interface JsonSchemaNode {
  type?: string | string[];
  properties?: Record<string, JsonSchemaNode>;
  items?: JsonSchemaNode;
}

/**
 * Keys whose values are secrets: an error about one names the place and what is wrong, never the
 * value (SECURITY.md).
 */
const SECRET_KEYS = new Set(['token', 'key', 'password', 'email']);

function isSecretPath(path: readonly PropertyKey[]): boolean {
  return SECRET_KEYS.has(String(path.at(-1)));
}

let jsonSchema: JsonSchemaNode | undefined;
function configJsonSchema(): JsonSchemaNode {
  jsonSchema ??= z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchemaNode;
  return jsonSchema;
}

/** Whether a cron expression fires more than once in some hour (its minute or second field is not one number). */
export function firesMoreThanHourly(schedule: string): boolean {
  const fields = schedule.trim().split(/\s+/);
  const [second, minute] = fields.length === 6 ? fields : ['0', fields[0]];
  return !/^\d+$/.test(second ?? '') || !/^\d+$/.test(minute ?? '');
}

/** Whether a zone's UTC offset differs between January and July of this year (daylight saving time). */
export function observesDst(timezone: string): boolean {
  const offset = (month: number): string =>
    new Intl.DateTimeFormat('en-US', { timeZone: timezone, timeZoneName: 'longOffset' })
      .formatToParts(new Date(Date.UTC(new Date().getUTCFullYear(), month, 1)))
      .find((part) => part.type === 'timeZoneName')?.value ?? '';
  return offset(0) !== offset(6);
}

/** Rules that span several keys: names that must be unique, limits that cannot apply. */
function crossCheck(config: RawConfig): { path: ConfigPath; message: string }[] {
  const problems: { path: ConfigPath; message: string }[] = [];
  const jobNames = new Map<string, number>();
  config.jobs.forEach((job, j) => {
    const first = jobNames.get(job.name);
    if (first !== undefined) {
      problems.push({
        path: ['jobs', j, 'name'],
        message: `jobs[${j}].name: "${job.name}" is already the name of jobs[${first}]; job names must be unique`,
      });
    } else jobNames.set(job.name, j);
    const seriesNames = new Map<string, number>();
    job.series?.forEach((series, s) => {
      const seen = seriesNames.get(series.name);
      if (seen !== undefined) {
        problems.push({
          path: ['jobs', j, 'series', s, 'name'],
          message: `jobs[${j}].series[${s}].name: "${series.name}" is already the name of series[${seen}]; series names must be unique within a job`,
        });
      } else seriesNames.set(series.name, s);
    });
    const schedule =
      job.schedule ??
      config.defaults?.schedule ??
      job.intervals.map((interval) => DEFAULT_SCHEDULE[interval]).find(firesMoreThanHourly);
    const timezone = job.timezone ?? config.defaults?.timezone;
    if (
      timezone !== undefined &&
      schedule !== undefined &&
      firesMoreThanHourly(schedule) &&
      observesDst(timezone)
    ) {
      problems.push({
        path: ['jobs', j, job.timezone !== undefined ? 'timezone' : 'schedule'],
        message:
          `jobs[${j}]: timezone "${timezone}" changes its clocks, and the cron library skips the repeated hour when they go back, ` +
          `so "${schedule}" would not fire for over an hour once a year; a schedule that runs more often than hourly ` +
          `fires at the same instants in UTC: leave timezone out`,
      });
    }
    const limit = job.limitPerGroup ?? config.defaults?.limitPerGroup;
    const limitable = job.dimensions.filter((d) => !DIMENSIONS_WITHOUT_LIMIT.includes(d));
    if (job.limitPerGroup !== undefined && limitable.length === 0) {
      problems.push({
        path: ['jobs', j, 'limitPerGroup'],
        message: `jobs[${j}].limitPerGroup: ${limit} cannot apply to ${job.dimensions.join(', ')}; Radar accepts limitPerGroup only for ADM1, AS and LOCATION`,
      });
    }
  });
  return problems;
}
