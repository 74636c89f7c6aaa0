import { loadApp } from '../app/config.js';
import { requireRadarAuth } from '../config/settings.js';
import { createLogger } from '../log.js';
import { INTERVALS, type AggInterval, type Dimension } from '../model/vocabulary.js';
import { RadarClient, type RadarProbe } from '../radar/client.js';
import { parseRetryAfterMs } from '../radar/apiHttp.js';
import {
  describeRateLimitHeaders,
  isRangeRefusal,
  judgeShape,
  MAX_WINDOW_MS,
  refusedCredentials,
  shapeRequest,
  windowRequest,
  windowText,
  windowUnitMs,
} from '../radar/contract.js';
import { RateLimiter } from '../radar/limiter.js';
import { hasNames } from '../names/groupNames.js';
import { namesFindings } from '../names/contract.js';
import { formatDuration, isoSeconds } from '../util/time.js';
import type { CommandLine } from './args.js';
import { EXIT, type Io } from './io.js';

/**
 * `radar-netflows doctor`: a few dozen requests with the user's own credentials, announced before they
 * are sent, that check what the service assumes of the live API (src/radar/contract.ts): the
 * credentials; for each dimension × interval of the config, that answers pass every check the service
 * makes, how Radar reads dateEnd, the group keys, the lag of lastUpdated, the meta fields; that the
 * configured window sizes are answered (with --windows, the largest that is, by a bounded search); the
 * rate-limit headers. Exit 0 when every assumption holds, 1 with one line per broken one.
 */
export async function doctorCommand(cli: CommandLine, io: Io): Promise<number> {
  const app = loadApp(cli.config, io.env);
  requireRadarAuth(app.settings.radar);
  const { settings } = app;
  const limiter = new RateLimiter(settings.radar.rateLimitPer5Min, settings.radar.concurrency, app.clock);
  const client = new RadarClient({
    settings: settings.radar,
    limiter,
    logger: createLogger({ silent: true }),
    clock: app.clock,
  });
  const nowMs = app.clock.nowMs();
  const pairs = unique(app.queries.map((q) => [q.dimension, q.interval] as const));
  // One window check per interval, with the first dimension the config asks it for.
  const windows = INTERVALS.flatMap((interval) => {
    const query = app.queries.find((q) => q.interval === interval);
    return query ? [{ interval, dimension: query.dimension, lengthMs: settings.windowMs[interval] }] : [];
  });
  const named = [...new Set(app.queries.map((q) => q.dimension))].filter(hasNames).sort();
  const searches = cli.windows ? windows.reduce((n, w) => n + searchSteps(w.interval), 0) : 0;
  io.stdout.write(
    `doctor: up to ${pairs.length + windows.length + searches + named.length} requests to ${settings.radar.baseUrl} ` +
      `(${pairs.length} for the shape of the answers, ${windows.length} for the window sizes` +
      `${searches > 0 ? `, up to ${searches} to find the largest windows` : ''}` +
      `${named.length > 0 ? `, ${named.length} for the names of the groups` : ''}), ` +
      `within radar.rateLimit (${settings.radar.rateLimitPer5Min} per 5 minutes)\n`,
  );
  const problems: string[] = [];
  const rateHeaders: Record<string, string> = {};
  const report = (what: string, text: string): void => void io.stdout.write(`  ${what.padEnd(14)} ${text}\n`);
  const probe = async (request: Parameters<RadarClient['probe']>[0]): Promise<RadarProbe> => {
    const answer = await client.probe(request);
    Object.assign(rateHeaders, answer.headers);
    // Radar asks that nothing be sent for a while: every further request would only prolong it.
    if (answer.status === 429) throw new Throttled(parseRetryAfterMs(answer.headers['retry-after']));
    return answer;
  };
  try {
    return await checkEverything();
  } catch (error) {
    if (!(error instanceof Throttled)) throw error;
    const untilMs = app.clock.nowMs() + (error.retryAfterMs ?? settings.radar.throttlePauseMs);
    report(
      'throttled',
      `Radar answered 429${error.retryAfterMs !== undefined ? ` (retry-after ${Math.round(error.retryAfterMs / 1000)} s)` : ''}: ` +
        `it asks that no request be sent until ${isoSeconds(untilMs)}; doctor stops here rather than judge ` +
        `assumptions by throttled answers (and lengthen the lock-out): run it again after that`,
    );
    return EXIT.failed;
  }

  async function checkEverything(): Promise<number> {
    for (const [index, [dimension, interval]] of pairs.entries()) {
      const request = shapeRequest(dimension, interval, nowMs);
      const answer = await probe(request);
      if (index === 0) {
        const refused = refusedCredentials(answer);
        report('credentials', refused ? `REFUSED: ${refused}` : 'ok');
        if (refused) {
          io.stdout.write(`1 assumption broken: fix the credentials, then run doctor again\n`);
          return EXIT.failed;
        }
      }
      const finding = judgeShape(request, answer, nowMs);
      report(finding.what, finding.problem ? `PROBLEM: ${finding.problem}` : `ok: ${finding.note}`);
      if (finding.problem) problems.push(`${finding.what}: ${finding.problem}`);
    }

    for (const { interval, dimension, lengthMs } of windows) {
      const answer = await probe(windowRequest(dimension, interval, lengthMs, nowMs));
      const answered = answer.response !== undefined;
      const largest = cli.windows
        ? await largestWindow(
            probe,
            dimension,
            interval,
            answered ? lengthMs : undefined,
            answered ? undefined : lengthMs,
            nowMs,
          )
        : undefined;
      const found = largest !== undefined ? `; the largest Radar answers: ${formatDuration(largest)}` : '';
      if (answered) report(`window ${interval}`, `ok: ${windowText(interval, lengthMs)}${found}`);
      else {
        const why = isRangeRefusal(answer)
          ? 'refused as too large'
          : `failed: ${answer.error?.message ?? 'unknown error'}`;
        const fix =
          largest !== undefined
            ? `set windows: { ${interval}: ${formatDuration(largest)} } in jobs.yaml`
            : isRangeRefusal(answer)
              ? `set a smaller windows: entry for ${interval} (doctor --windows finds the largest Radar answers)`
              : 'see the error';
        report(`window ${interval}`, `PROBLEM: ${windowText(interval, lengthMs)} ${why}${found}`);
        problems.push(`${windowText(interval, lengthMs)} ${why}: ${fix}`);
      }
    }

    for (const finding of await namesFindings(settings.radar, limiter, named)) {
      report(finding.what, finding.problem ? `PROBLEM: ${finding.problem}` : `ok: ${finding.note}`);
      if (finding.problem) problems.push(`${finding.what}: ${finding.problem}`);
    }

    report('rate limit', describeRateLimitHeaders(rateHeaders));
    if (problems.length === 0) {
      io.stdout.write('every assumption holds\n');
      return EXIT.ok;
    }
    io.stdout.write(`${problems.length} assumption${problems.length === 1 ? '' : 's'} broken:\n`);
    for (const problem of problems) io.stdout.write(`- ${problem}\n`);
    return EXIT.failed;
  }
}

/** Radar answered 429: doctor stops (see probe). */
class Throttled extends Error {
  constructor(readonly retryAfterMs: number | undefined) {
    super('throttled');
  }
}

/**
 * The largest window Radar answers for the interval, in whole days (weeks for 1w) up to 364 days, by
 * bisection between what is known to be answered and what is known to be refused. Undefined when not
 * even the smallest is answered.
 */
async function largestWindow(
  probe: (request: Parameters<RadarClient['probe']>[0]) => Promise<RadarProbe>,
  dimension: Dimension,
  interval: AggInterval,
  answeredMs: number | undefined,
  refusedMs: number | undefined,
  nowMs: number,
): Promise<number | undefined> {
  const unit = windowUnitMs(interval);
  let lo = answeredMs !== undefined ? Math.floor(answeredMs / unit) : 0;
  let hi = refusedMs !== undefined ? Math.ceil(refusedMs / unit) - 1 : MAX_WINDOW_MS / unit;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const answer = await probe(windowRequest(dimension, interval, mid * unit, nowMs));
    if (answer.response) lo = mid;
    else if (isRangeRefusal(answer)) hi = mid - 1;
    else break; // another failure says nothing of the size
  }
  return lo > 0 ? lo * unit : undefined;
}

/** The most probes largestWindow makes for an interval. */
function searchSteps(interval: AggInterval): number {
  return Math.ceil(Math.log2(MAX_WINDOW_MS / windowUnitMs(interval) + 1));
}

function unique<T extends readonly unknown[]>(items: readonly T[]): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = item.join('\u0000');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
