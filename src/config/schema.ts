import { quoteValue } from '../util/text.js';
import { z } from 'zod';
import cronLibrary, { validate as isValidCron } from 'node-cron';
import { checkFilterItem } from '../radar/vocabulary.js';
import { unstorableReason } from '../sink/storableText.js';
import {
  DIMENSIONS,
  FILTER_NAMES,
  INTERVAL_MS,
  INTERVALS,
  MIN_LIMIT_PER_GROUP,
  NORMALIZATIONS,
  type AggInterval,
  type FilterName,
} from '../model/vocabulary.js';
import { DATE_RANGE_HINT, parseDateRange, parseDuration, parseWindowLength } from './duration.js';

/**
 * The shape of jobs.yaml. Objects are strict (an unknown key is an error, usually a typo), and each
 * refinement says what is allowed, because its message is what the user reads.
 */

/**
 * A job or series name: it becomes a tag value (`job`, `series`) of every point, so it must be one
 * that InfluxDB stores and gives back unchanged (sink/storableText.ts); refused here rather than
 * sending every point of the job to the dead letters on every run.
 */
const storableName = z
  .string()
  .max(200, 'must be at most 200 characters')
  .superRefine((name, ctx) => {
    const problem = unstorableReason(name);
    if (problem)
      ctx.addIssue({
        code: 'custom',
        message: `${quoteValue(name)} ${problem}: it is written as a tag of every point`,
        params: { quotesValue: true },
      });
  });

/**
 * A series name is also the key Radar gives the series in its answer (`result.<name>`), beside `meta`
 * and, for unnamed series, `serie_<i>`: a name equal to one of those would be read as the wrong thing.
 */
const seriesName = storableName.refine((name) => name !== 'meta' && !/^serie_\d+$/.test(name), {
  message: 'is a key Radar uses in its answers (meta, serie_0, serie_1, …): choose another series name',
});

const cron = z.string().superRefine((expr, ctx) => {
  const problem = cronProblem(expr);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** The largest value of each cron field, seconds first: a step beyond it is a typo, not a schedule. */
const CRON_FIELD_MAX = [
  ['second', 59],
  ['minute', 59],
  ['hour', 23],
  ['day of month', 31],
  ['month', 12],
  ['day of week', 7],
] as const;

/** What is wrong with a cron expression, in words; undefined when it is a schedule that fires. */
export function cronProblem(expr: string): string | undefined {
  const fields = expr.trim().split(/\s+/);
  const named = fields.length === 5 ? CRON_FIELD_MAX.slice(1) : CRON_FIELD_MAX;
  for (const [i, field] of fields.entries()) {
    for (const step of field.matchAll(/\/(\d+)/g)) {
      const [name, max] = named[i] ?? ['field', 59];
      if (Number(step[1]) > max || Number(step[1]) === 0)
        return `is not a useful cron expression: the step /${step[1]} of the ${name} field is outside 1-${max}`;
    }
  }
  if (isValidCron(expr)) return undefined;
  try {
    cronLibrary.createTask(expr, () => undefined);
  } catch (error) {
    const reason = (error as Error).message;
    if (/impossible day of month/.test(reason))
      return `is a valid cron expression that never fires (${reason})`;
    return `is not a valid cron expression: ${reason} (5 fields, or 6 with seconds first, e.g. "*/15 * * * *")`;
  }
  return 'is not a valid cron expression (5 fields, or 6 with seconds first, e.g. "*/15 * * * *")';
}

const timezone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'is not an IANA time zone such as UTC or Europe/Lisbon' },
);

/**
 * A duration written as text, checked and turned into milliseconds in the same pass: what the rest of
 * the program reads is the number, never the text again. `problem` may refuse a well-formed one.
 */
function duration(
  parse: (text: string) => number | undefined,
  expected: string,
  problem?: (ms: number, text: string) => string | undefined,
) {
  return z.string().transform((text, ctx) => {
    const ms = parse(text);
    const refusal = ms === undefined ? undefined : problem?.(ms, text);
    if (ms !== undefined && refusal === undefined) return ms;
    ctx.issues.push({
      code: 'custom',
      input: text,
      message: refusal ?? expected,
      ...(refusal ? { params: { quotesValue: true } } : {}),
    });
    return z.NEVER;
  });
}

const lookback = duration(parseDateRange, `is not a date range: use ${DATE_RANGE_HINT}`);

const windowLength = duration(parseWindowLength, 'is not a window length such as 6h, 1d or 7d');

/** A grid window of an interval: a whole number of its buckets. */
const windowOf = (interval: AggInterval) =>
  duration(parseWindowLength, 'is not a window length such as 6h, 1d or 7d', (ms, text) =>
    ms % INTERVAL_MS[interval] === 0 ? undefined : `"${text}" is not a whole number of ${interval} buckets`,
  );

function filterList(filter: FilterName) {
  return z.array(z.union([z.string(), z.number()]).transform(String)).superRefine((items, ctx) => {
    items.forEach((item, index) => {
      const expected = checkFilterItem(filter, item);
      if (expected)
        ctx.addIssue({
          code: 'custom',
          path: [index],
          message: `"${item}" is not ${expected}`,
          params: { quotesValue: true },
        });
    });
  });
}

const filters = z.strictObject(
  Object.fromEntries(FILTER_NAMES.map((name) => [name, filterList(name).optional()])) as Record<
    FilterName,
    z.ZodOptional<ReturnType<typeof filterList>>
  >,
);

const limitPerGroup = z
  .number()
  .int('must be a whole number')
  .min(MIN_LIMIT_PER_GROUP, `must be at least ${MIN_LIMIT_PER_GROUP}`);

const jobSettings = {
  schedule: cron.optional(),
  timezone: timezone.optional(),
  lookback: lookback.optional(),
  normalization: z.enum(NORMALIZATIONS).optional(),
  limitPerGroup: limitPerGroup.optional(),
  filters: filters.optional(),
  /** Also the traffic level (netflows/timeseries) of the job's series, at each of its intervals. */
  trafficLevel: z.boolean().optional(),
};

const uniqueList = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .min(1, 'must list at least one')
    .superRefine((items, ctx) => {
      items.forEach((value, index) => {
        if (items.indexOf(value) !== index)
          ctx.addIssue({
            code: 'custom',
            path: [index],
            message: `"${String(value)}" is listed twice`,
            params: { quotesValue: true },
          });
      });
    });

const series = z.strictObject({ name: seriesName, filters: filters.optional() });

const job = z.strictObject({
  name: storableName,
  dimensions: uniqueList(z.enum(DIMENSIONS)),
  intervals: uniqueList(z.enum(INTERVALS)),
  ...jobSettings,
  series: z.array(series).min(1, 'must list at least one series').optional(),
  enabled: z.boolean().optional(),
});

const radar = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  token: z.string().min(1).optional(),
  email: z.string().min(1).optional(),
  key: z.string().min(1).optional(),
  timeoutMs: z.number().int().min(100).optional(),
  retries: z.number().int().min(0).max(20).optional(),
  retryDelayMs: z.number().int().min(0).max(600_000).optional(),
  throttlePauseMs: z.number().int().min(0).max(3_600_000).optional(),
  // At most 1200 against Cloudflare (checked with the URL, in resolveSettings); more only for a local endpoint.
  rateLimit: z.number().int().min(1).max(1_000_000).optional(),
  concurrency: z.number().int().min(1).max(64).optional(),
  maxResponseBytes: z
    .number()
    .int()
    .min(1024)
    .max(2 ** 31)
    .optional(),
});

const influx = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  // `apiVersion: 2` is a number in YAML: taken as the same as "2".
  apiVersion: z
    .preprocess((v) => (typeof v === 'number' ? String(v) : v), z.enum(['auto', '1', '2', '3']))
    .optional(),
  database: z.string().min(1).optional(),
  retentionPolicy: z.string().min(1).optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  org: z.string().min(1).optional(),
  bucket: z.string().min(1).optional(),
  token: z.string().min(1).optional(),
  batchSize: z.number().int().min(1).max(100_000).optional(),
  timeoutMs: z.number().int().min(100).optional(),
});

const listen = z
  .string()
  .refine((s) => s === 'off' || /^[^\s:]+:\d{1,5}$/.test(s) || /^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(s), {
    message: 'is not host:port (e.g. 127.0.0.1:9464) or off',
  });

const service = z.strictObject({
  listen: listen.optional(),
  runOnStart: z.boolean().optional(),
  jitterMs: z.number().int().min(0).max(3_600_000).optional(),
  graceMs: z.number().int().min(0).max(3_600_000).optional(),
  staleAfter: duration(parseDuration, 'is not a length of time such as 90s, 30m, 1h or 1d').optional(),
  statsEveryMs: z.number().int().min(100).max(3_600_000).optional(),
});

export const configSchema = z.strictObject({
  radar: radar.optional(),
  influx: influx.optional(),
  state: z
    .strictObject({
      dir: z.string().min(1).optional(),
      spoolMaxMB: z.number().int().min(1).max(1_000_000).optional(),
    })
    .optional(),
  service: service.optional(),
  windows: z
    .strictObject({
      '15m': windowOf('15m').optional(),
      '1h': windowOf('1h').optional(),
      '1d': windowOf('1d').optional(),
      '1w': windowOf('1w').optional(),
      settle: windowLength.optional(),
    })
    .optional(),
  defaults: z.strictObject(jobSettings).optional(),
  jobs: z.array(job).min(1, 'must list at least one job'),
});

export type RawConfig = z.infer<typeof configSchema>;
export type RawJob = z.infer<typeof job>;
