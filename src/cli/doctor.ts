import { type App } from '../app/config.js';
import { commandApp } from './commandApp.js';
import { requireRadarAuth } from '../config/settings.js';
import { createLogger } from '../log.js';
import type { RadarRequest } from '../radar/request.js';
import { INTERVALS, type AggInterval, type QueryDimension } from '../model/vocabulary.js';
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
  const app = commandApp(cli, io);
  requireRadarAuth(app.settings.radar);
  const doctor = new Doctor(app, io, cli.windows);
  doctor.announce();
  try {
    return await doctor.checkEverything();
  } catch (error) {
    if (!(error instanceof Throttled)) throw error;
    return doctor.throttled(error);
  }
}

/** The checks of one `doctor` run: what it asks, what it found, how it says so. */
class Doctor {
  private readonly limiter: RateLimiter;
  private readonly client: RadarClient;
  private readonly nowMs: number;
  private readonly pairs: (readonly [QueryDimension, AggInterval])[];
  /** One window check per interval, with the first dimension the config asks it for. */
  private readonly windows: { interval: AggInterval; dimension: QueryDimension; lengthMs: number }[];
  private readonly named: QueryDimension[];
  private readonly problems: string[] = [];
  private readonly rateHeaders: Record<string, string> = {};

  constructor(
    private readonly app: App,
    private readonly io: Io,
    private readonly searchWindows: boolean,
  ) {
    const { settings } = app;
    this.limiter = new RateLimiter(settings.radar.rateLimitPer5Min, settings.radar.concurrency, app.clock);
    this.client = new RadarClient({
      settings: settings.radar,
      limiter: this.limiter,
      logger: createLogger({ silent: true }),
      clock: app.clock,
    });
    this.nowMs = app.clock.nowMs();
    this.pairs = unique(app.queries.map((q) => [q.dimension, q.interval] as const));
    this.windows = INTERVALS.flatMap((interval) => {
      const query = app.queries.find((q) => q.interval === interval);
      return query ? [{ interval, dimension: query.dimension, lengthMs: settings.windowMs[interval] }] : [];
    });
    this.named = [...new Set(app.queries.map((q) => q.dimension))].filter(hasNames).sort();
  }

  /** The requests it may send, said before any is sent. */
  announce(): void {
    const { pairs, windows, named } = this;
    const { radar } = this.app.settings;
    const searches = this.searchWindows ? windows.reduce((n, w) => n + searchSteps(w.interval), 0) : 0;
    this.io.stdout.write(
      `doctor: up to ${pairs.length + windows.length + searches + named.length} requests to ${radar.baseUrl} ` +
        `(${pairs.length} for the shape of the answers, ${windows.length} for the window sizes` +
        `${searches > 0 ? `, up to ${searches} to find the largest windows` : ''}` +
        `${named.length > 0 ? `, ${named.length} for the names of the groups` : ''}), ` +
        `within radar.rateLimit (${radar.rateLimitPer5Min} per 5 minutes)\n`,
    );
  }

  async checkEverything(): Promise<number> {
    if (!(await this.checkShapes())) {
      this.io.stdout.write(`1 assumption broken: fix the credentials, then run doctor again\n`);
      return EXIT.failed;
    }
    for (const window of this.windows) await this.checkWindow(window);
    for (const finding of await namesFindings(this.app.settings.radar, this.limiter, this.named))
      this.found(finding);
    this.report('rate limit', describeRateLimitHeaders(this.rateHeaders));
    if (this.problems.length === 0) {
      this.io.stdout.write('every assumption holds\n');
      return EXIT.ok;
    }
    const n = this.problems.length;
    this.io.stdout.write(`${n} assumption${n === 1 ? '' : 's'} broken:\n`);
    for (const problem of this.problems) this.io.stdout.write(`- ${problem}\n`);
    return EXIT.failed;
  }

  /** Radar asked it to wait: it stops, saying until when. */
  throttled(error: Throttled): number {
    const untilMs = this.app.clock.nowMs() + (error.retryAfterMs ?? this.app.settings.radar.throttlePauseMs);
    this.report(
      'throttled',
      `Radar answered 429${error.retryAfterMs !== undefined ? ` (retry-after ${Math.round(error.retryAfterMs / 1000)} s)` : ''}: ` +
        `it asks that no request be sent until ${isoSeconds(untilMs)}; doctor stops here rather than judge ` +
        `assumptions by throttled answers (and lengthen the lock-out): run it again after that`,
    );
    return EXIT.failed;
  }

  /** The shape of each dimension × interval; false when the first answer refused the credentials. */
  private async checkShapes(): Promise<boolean> {
    for (const [index, [dimension, interval]] of this.pairs.entries()) {
      const request = shapeRequest(dimension, interval, this.nowMs);
      const answer = await this.probe(request);
      if (index === 0) {
        const refused = refusedCredentials(answer);
        this.report('credentials', refused ? `REFUSED: ${refused}` : 'ok');
        if (refused) return false;
      }
      this.found(judgeShape(request, answer, this.nowMs));
    }
    return true;
  }

  /** Whether the configured window is answered (and with --windows, the largest that is). */
  private async checkWindow({
    interval,
    dimension,
    lengthMs,
  }: {
    interval: AggInterval;
    dimension: QueryDimension;
    lengthMs: number;
  }): Promise<void> {
    const probe = (request: RadarRequest) => this.probe(request);
    const answer = await this.probe(windowRequest(dimension, interval, lengthMs, this.nowMs));
    const answered = answer.response !== undefined;
    const largest = this.searchWindows
      ? await largestWindow(
          probe,
          dimension,
          interval,
          answered ? lengthMs : undefined,
          answered ? undefined : lengthMs,
          this.nowMs,
        )
      : undefined;
    const found = largest !== undefined ? `; the largest Radar answers: ${formatDuration(largest)}` : '';
    if (answered) return this.report(`window ${interval}`, `ok: ${windowText(interval, lengthMs)}${found}`);
    const refused = isRangeRefusal(answer);
    const why = refused ? 'refused as too large' : `failed: ${answer.error?.message ?? 'unknown error'}`;
    const fix =
      largest !== undefined
        ? `set windows: { ${interval}: ${formatDuration(largest)} } in jobs.yaml`
        : refused
          ? `set a smaller windows: entry for ${interval} (doctor --windows finds the largest Radar answers)`
          : 'see the error';
    this.report(`window ${interval}`, `PROBLEM: ${windowText(interval, lengthMs)} ${why}${found}`);
    this.problems.push(`${windowText(interval, lengthMs)} ${why}: ${fix}`);
  }

  private async probe(request: RadarRequest): Promise<RadarProbe> {
    const answer = await this.client.probe(request);
    Object.assign(this.rateHeaders, answer.headers);
    // Radar asks that nothing be sent for a while: every further request would only prolong it.
    if (answer.status === 429) throw new Throttled(parseRetryAfterMs(answer.headers['retry-after']));
    return answer;
  }

  private found(finding: { what: string; problem?: string; note?: string }): void {
    this.report(finding.what, finding.problem ? `PROBLEM: ${finding.problem}` : `ok: ${finding.note}`);
    if (finding.problem) this.problems.push(`${finding.what}: ${finding.problem}`);
  }

  private report(what: string, text: string): void {
    this.io.stdout.write(`  ${what.padEnd(14)} ${text}\n`);
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
  dimension: QueryDimension,
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
