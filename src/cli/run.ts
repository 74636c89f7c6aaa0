import type { Server } from 'node:http';
import { closePipeline, openPipeline, type Pipeline } from '../app/pipeline.js';
import { type App } from '../app/config.js';
import { commandApp } from './commandApp.js';
import { openState } from '../app/state.js';
import { Daemon } from '../service/daemon.js';
import { startHttpServer, type Readiness } from '../service/httpServer.js';
import { Metrics } from '../service/metrics.js';
import { StatsReporter } from '../service/statsReporter.js';
import { UsageError } from '../errors.js';

import { LockHeldError } from '../state/lock.js';
import type { StateStore } from '../state/store.js';
import { yieldToEventLoop } from '../util/eventLoop.js';
import { sleep } from '../util/time.js';
import { packageVersion } from '../util/packageVersion.js';
import type { CommandLine } from './args.js';
import { budgetWarning } from './commands.js';
import { EXIT, type Io } from './io.js';
import { scheduleBudget, stalenessLimitMs } from '../service/budget.js';
import { onStopSignal } from './signals.js';
import { reloadJobs } from './reload.js';

/** The service: schedules, health endpoint, graceful shutdown. Resolves with the exit code. */
export async function runCommand(cli: CommandLine, io: Io): Promise<number> {
  return new Service(cli, io).run();
}

/** What the service has opened so far, by phase: each phase owns what a stop, a SIGHUP and /readyz do. */
type Phase =
  | { name: 'starting'; readiness: () => Promise<Readiness> }
  | {
      name: 'running';
      store: StateStore;
      daemon: Daemon;
      stats: StatsReporter;
      readiness: () => Promise<Readiness>;
    }
  | { name: 'stopping' };

/**
 * `run` as a small state machine: starting (serving /healthz, waiting for the state lock, opening the
 * pipeline), running (the schedules), stopping. The stop signals are handled from the first moment
 * for the whole life of the process: a SIGTERM while the service starts ends it as cleanly as one
 * after (exit 0, the lock released), never by the signal's default action.
 */
class Service {
  private readonly app: App;
  private readonly metrics: Metrics;
  private readonly starting = new AbortController();
  private phase: Phase = {
    name: 'starting',
    readiness: async () => ({ ready: false, checks: { state: 'opening' } }),
  };
  private server: Server | undefined;
  private store: StateStore | undefined;
  private pipeline: Pipeline | undefined;
  private stopped: ((exitCode: number) => void) | undefined;
  private readonly removeHandlers: () => void;

  constructor(
    private readonly cli: CommandLine,
    private readonly io: Io,
  ) {
    this.app = commandApp(cli, io);
    this.metrics = new Metrics(this.app.clock, { version: packageVersion() });
    this.removeHandlers = onStopSignal(
      (signal) => this.onStop(signal),
      io,
      (signal) => this.onHangup(signal),
    );
  }

  async run(): Promise<number> {
    const { app } = this;
    // Worked out before /healthz is served: node-cron's runs of every schedule take ~20 ms.
    const budget = budgetWarning(scheduleBudget(app.queries), app.settings.radar.rateLimitPer5Min);
    if (budget) app.logger.warn(budget.replace(/^(warning|note): /, ''));
    try {
      await this.open();
    } catch (error) {
      await this.close();
      throw error;
    }
    if (!this.store || !this.pipeline || this.starting.signal.aborted) {
      await this.close();
      app.logger.info('stopped');
      return EXIT.ok;
    }
    return this.runSchedules(this.store, this.pipeline);
  }

  /**
   * The start: /healthz served first (a supervisor's health check passes while run waits for the
   * state lock, which a backfill can hold for hours, and /readyz says what it waits for), then the
   * state, then the pipeline; /healthz is answered between the steps (see yieldToEventLoop).
   */
  private async open(): Promise<void> {
    const { app } = this;
    this.server = await listen(app, this.metrics, () => this.readiness());
    this.store = await openStateWaiting(app, this.starting.signal, (holder) => {
      this.phase = {
        name: 'starting',
        readiness: async () => ({
          ready: false,
          checks: { state: `waiting for the state lock held by ${holder}` },
        }),
      };
    });
    if (!this.store || this.starting.signal.aborted) return;
    await yieldToEventLoop();
    this.pipeline = await openPipeline(app, {
      dryRun: false,
      stdout: this.io.stdout,
      metrics: this.metrics,
      oneShot: false,
      store: this.store,
    });
    await yieldToEventLoop();
  }

  private runSchedules(store: StateStore, pipeline: Pipeline): Promise<number> {
    const { app } = this;
    const daemon = new Daemon({ ...app, service: app.settings.service }, pipeline, store, this.metrics);
    const stats = new StatsReporter(
      this.metrics,
      pipeline.sink,
      app.clock,
      app.logger,
      app.queries,
      app.settings.service.staleAfterMs,
    );
    const readiness = readinessCheck(app, pipeline, this.metrics);
    this.phase = { name: 'running', store, daemon, stats, readiness };
    // No later run can succeed with credentials refused: a supervisor must not restart on this (exit 2).
    // A state directory lost under us is mended by a restart (exit 1), which locks it again.
    daemon.onFatal = (error, kind) => {
      app.logger.error(`stopping: ${error.message}`);
      this.io.stderr.write(`error: ${error.message}\n`);
      void this.stop(kind === 'settings' ? EXIT.usage : EXIT.failed);
    };
    return new Promise((resolve) => {
      this.stopped = resolve;
      daemon.start();
      stats.start(app.settings.service.statsEveryMs);
    });
  }

  private onStop(signal: string): void {
    const { phase } = this;
    if (phase.name === 'starting') {
      this.app.logger.info(`${signal}: stopping before the schedules start`);
      this.starting.abort();
    } else if (phase.name === 'running') {
      this.app.logger.info(`${signal}: stopping the schedules, letting windows in flight finish`);
      void this.stop(EXIT.ok);
    }
  }

  private onHangup(signal: string): void {
    const { phase } = this;
    if (phase.name === 'starting')
      this.app.logger.info(`${signal} while starting: jobs.yaml was read just now, nothing to reload`);
    else if (phase.name === 'running')
      reloadJobs(this.cli.config, this.io, this.app, phase.store, phase.daemon, phase.stats);
  }

  private readiness(): Promise<Readiness> {
    const { phase } = this;
    if (phase.name !== 'stopping') return phase.readiness();
    return Promise.resolve({ ready: false, checks: { service: 'stopping' } });
  }

  private async stop(exitCode: number): Promise<void> {
    const { phase } = this;
    if (phase.name !== 'running') return;
    this.phase = { name: 'stopping' };
    const finished = await phase.daemon.stop();
    if (!finished)
      this.app.logger.warn(
        'grace period over: windows still in flight will be fetched again at the next start',
      );
    await phase.stats.stop();
    await this.close();
    this.app.logger.info('stopped');
    this.stopped?.(exitCode);
  }

  /** Closes what the start opened: the state (its lock), the sink (after its last write), the server. */
  private async close(): Promise<void> {
    await this.store?.close().catch((error: Error) => this.app.logger.error(error.message));
    if (this.pipeline) await closePipeline(this.pipeline);
    this.server?.close();
    this.server?.closeAllConnections();
    this.removeHandlers();
  }
}

/** How often `run` looks again at a state directory another process holds. */
const LOCK_POLL_MS = 5000;

/**
 * The service's state directory. When a backfill (or another command) holds it, the service waits
 * for it rather than exiting: under a supervisor, exiting would mean a restart loop or giving up.
 * Undefined when the service was stopped (`stop`) while waiting.
 */
async function openStateWaiting(
  app: App,
  stop: AbortSignal,
  waiting: (holder: string) => void,
): Promise<StateStore | undefined> {
  for (let waited = false; ; waited = true) {
    if (stop.aborted) {
      if (waited) app.logger.info('stopped while waiting for the state directory');
      return undefined;
    }
    try {
      return openState(app, false, 'run');
    } catch (error) {
      if (!(error instanceof LockHeldError)) throw error;
      if (!waited) app.logger.warn(`${error.message}; waiting for it to finish`);
      const { command, pid, host, sinceMs } = error.owner;
      waiting(`"${command}" (pid ${pid} on ${host}, since ${new Date(sinceMs).toISOString()})`);
    }
    await sleep(LOCK_POLL_MS, stop);
  }
}

/**
 * /readyz: InfluxDB takes our writes (as the last write found: the service writes its stats every
 * statsEveryMs), the spool has room and moves, Radar took our credentials, and a query succeeded
 * within staleAfter, or twice the most frequent schedule's period if that is longer (the start itself
 * is no success: a service that has never fetched is not ready). Ages are monotonic.
 */
function readinessCheck(app: App, deps: Pipeline, metrics: Metrics): () => Promise<Readiness> {
  const staleMs = stalenessLimitMs(app.queries, app.settings.service.staleAfterMs);
  return async () => {
    const checks: Record<string, string> = {};
    const health = deps.sink.health();
    checks.influx = health.fatal
      ? `refused: ${health.fatal.message}`
      : health.lastError
        ? `failing: ${health.lastError}`
        : 'ok';
    checks.spool = health.full
      ? `full: ${health.backlogBytes} bytes wait, fetching is paused`
      : health.stalledForMs !== undefined
        ? `stalled: the oldest of ${health.backlogBytes} bytes waiting has not been written for ${Math.round(health.stalledForMs / 1000)} s`
        : `ok (${health.backlogBytes} bytes waiting)`;
    const refused = deps.client.refusedCredentials;
    checks.radar = refused ? `credentials refused: ${refused.message}` : 'ok';
    const lastMs = metrics.lastSuccessMonoMs;
    const ageMs = lastMs === undefined ? undefined : app.clock.monotonicMs() - lastMs;
    checks.lastSuccess =
      ageMs === undefined
        ? 'not yet: no query has succeeded since the start'
        : ageMs <= staleMs
          ? 'ok'
          : `stale: no query succeeded for ${Math.round(ageMs / 1000)} s`;
    return { ready: Object.values(checks).every((c) => c.startsWith('ok')), checks };
  };
}

/** The health and metrics endpoint, unless it is off; a port in use is the user's to fix. */
async function listen(
  app: App,
  metrics: Metrics,
  readiness: () => Promise<Readiness>,
): Promise<Server | undefined> {
  const address = app.settings.service.listen;
  if (!address) return undefined;
  try {
    return await startHttpServer(address, metrics, readiness, app.logger);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new UsageError(
      `cannot serve /healthz and /metrics on ${address.host}:${address.port} (${code}): set HTTP_LISTEN (or service.listen) to a free address, or off`,
    );
  }
}
