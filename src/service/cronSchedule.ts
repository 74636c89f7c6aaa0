import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../log.js';
import { formatSpan, type Clock } from '../util/time.js';

/** A difference between wall and monotonic time larger than this, between two looks, is a step. */
const STEP_TOLERANCE_MS = 2000;
/** The longest a schedule sleeps before it looks at the wall clock again. */
const MAX_SLEEP_MS = 60_000;

/**
 * Notices steps of the wall clock (NTP, a resumed VM, an operator) against the monotonic clock, and
 * logs each once, however many schedules look.
 */
export class WallClockWatch {
  private lastWallMs: number;
  private lastMonoMs: number;

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.lastWallMs = clock.nowMs();
    this.lastMonoMs = clock.monotonicMs();
  }

  /** Looks at both clocks; logs a step seen since the last look. */
  look(): void {
    const wallMs = this.clock.nowMs();
    const monoMs = this.clock.monotonicMs();
    const stepMs = wallMs - this.lastWallMs - (monoMs - this.lastMonoMs);
    this.lastWallMs = wallMs;
    this.lastMonoMs = monoMs;
    if (Math.abs(stepMs) > STEP_TOLERANCE_MS)
      this.logger.warn(
        `the wall clock stepped ${stepMs > 0 ? 'forward' : 'back'} by ${formatSpan(Math.abs(stepMs))}: ` +
          'schedules follow the new time (a slot jumped over is not run for itself: each run fetches from its checkpoint)',
      );
  }
}

/**
 * One cron expression, fired in wall time (in its time zone), steady through wall-clock steps.
 * node-cron 4's own runner arms one timer for the wall-clock delay to its next slot and, waking, plays
 * every slot it finds missed (`planBeat` in node-cron's dist/_shared.js): after a step back of an hour
 * it slept for the hour, and a step forward of 3 h logged a warning per slot jumped over (2,160). Here
 * node-cron says when the expression matches (`getNextRuns`), and this class decides when to look: at
 * the next slot, or within a minute, whichever comes first; after a step the next slot is worked out
 * afresh from the new time; a slot that is due fires once.
 */
export class CronSchedule {
  private readonly matcher: ScheduledTask;
  private timer: NodeJS.Timeout | undefined;
  private jitter: NodeJS.Timeout | undefined;
  private nextMs = 0;
  private lastWallMs = 0;
  private lastMonoMs = 0;

  constructor(
    expression: string,
    timezone: string,
    private readonly onTick: () => void,
    private readonly clock: Clock,
    private readonly watch: WallClockWatch,
    private readonly jitterMs = 0,
  ) {
    this.matcher = cron.createTask(expression, () => undefined, { timezone });
  }

  start(): void {
    this.nextMs = this.nextSlotMs();
    this.lastWallMs = this.clock.nowMs();
    this.lastMonoMs = this.clock.monotonicMs();
    this.arm();
  }

  stop(): void {
    clearTimeout(this.timer);
    clearTimeout(this.jitter);
    this.timer = undefined;
    void this.matcher.destroy();
  }

  private arm(): void {
    const delayMs = Math.min(Math.max(0, this.nextMs - this.clock.nowMs()), MAX_SLEEP_MS);
    this.timer = setTimeout(() => this.wake(), delayMs);
  }

  private wake(): void {
    if (this.timer === undefined) return; // stopped
    this.watch.look();
    const wallMs = this.clock.nowMs();
    const monoMs = this.clock.monotonicMs();
    const stepped = Math.abs(wallMs - this.lastWallMs - (monoMs - this.lastMonoMs)) > STEP_TOLERANCE_MS;
    this.lastWallMs = wallMs;
    this.lastMonoMs = monoMs;
    if (wallMs >= this.nextMs) {
      this.fire();
      this.nextMs = this.nextSlotMs();
    } else if (stepped) this.nextMs = this.nextSlotMs();
    this.arm();
  }

  private fire(): void {
    if (this.jitterMs <= 0) return this.onTick();
    this.jitter = setTimeout(() => this.onTick(), Math.floor(Math.random() * this.jitterMs));
  }

  /** The next time the expression matches, after the current wall time. */
  private nextSlotMs(): number {
    return this.matcher.getNextRuns(1)[0]!.getTime();
  }
}
