import type { Logger } from '../log.js';
import { systemClock, type Clock } from '../util/time.js';

/** Alerts in a Grafana webhook notification, as far as the log needs them. */
interface GrafanaAlert {
  status?: unknown;
  labels?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
}

/** The most a notification may hold: Grafana's are a few KB per alert. */
export const MAX_ALERT_BODY_BYTES = 1024 * 1024;
/** Alerts of one notification logged one by one; the rest in one summarising line. */
export const MAX_ALERTS_PER_NOTIFICATION = 50;
/** Alert lines per minute, over all notifications; past it, one summarising line a minute. */
export const MAX_ALERT_LINES_PER_MINUTE = 200;
/** The longest label value or summary logged (the rest is cut, marked with …). */
const MAX_TEXT = 500;

/**
 * POST /alerts: where the shipped Grafana contact point sends notifications when no webhook URL is
 * set (docker-compose.yml), so that alerts are at least in the service's log: one line per alert,
 * `warn` while firing, `info` once resolved. Bounded, because anyone who can reach the port can post
 * (SECURITY.md): at most MAX_ALERTS_PER_NOTIFICATION alerts of a notification and
 * MAX_ALERT_LINES_PER_MINUTE lines a minute are logged one by one, each text cut at 500 characters;
 * what is left over is counted in one line. (A 1 MiB body of 349,518 empty alerts once made as many log
 * lines, 34.6 MB, and 500 MB of memory that stayed.)
 */
export class AlertLog {
  private windowStartMs: number;
  private linesThisMinute = 0;
  private suppressedThisMinute = 0;

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock = systemClock,
  ) {
    this.windowStartMs = clock.monotonicMs();
  }

  /**
   * Logs the alerts of a notification; returns how many it held. Throws a message for the sender when
   * the body is not a Grafana webhook notification.
   */
  log(body: string): number {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new Error('the body is not JSON: expected a Grafana webhook notification');
    }
    const alerts = (parsed as { alerts?: unknown } | null)?.alerts;
    if (!Array.isArray(alerts))
      throw new Error('the body has no "alerts" list: expected a Grafana webhook notification');
    this.turnMinute();
    let logged = 0;
    for (const alert of alerts as GrafanaAlert[]) {
      if (logged >= MAX_ALERTS_PER_NOTIFICATION || this.linesThisMinute >= MAX_ALERT_LINES_PER_MINUTE) break;
      this.logOne(alert ?? {});
      logged++;
    }
    const left = alerts.length - logged;
    if (left > 0) {
      this.suppressedThisMinute += left;
      this.logger.warn(
        `${left} more alerts in this notification are not logged one by one (at most ${MAX_ALERTS_PER_NOTIFICATION} a notification and ${MAX_ALERT_LINES_PER_MINUTE} a minute); see them in Grafana`,
      );
    }
    return alerts.length;
  }

  private logOne(alert: GrafanaAlert): void {
    const labels = Object.fromEntries(
      Object.entries(typeof alert.labels === 'object' && alert.labels !== null ? alert.labels : {})
        .filter(([key]) => !key.startsWith('__'))
        .slice(0, 30)
        .map(([k, v]) => [cut(k), cut(String(v))]),
    );
    const summary = cut(String(alert.annotations?.summary ?? labels.alertname ?? 'alert'));
    const firing = alert.status !== 'resolved';
    this.linesThisMinute++;
    this.logger.log(firing ? 'warn' : 'info', `alert ${firing ? 'firing' : 'resolved'}: ${summary}`, {
      alert: labels,
    });
  }

  /** A new minute: the count starts again, after one line for what the last one left unlogged. */
  private turnMinute(): void {
    const nowMs = this.clock.monotonicMs();
    if (nowMs - this.windowStartMs < 60_000) return;
    if (this.suppressedThisMinute > 0)
      this.logger.warn(`${this.suppressedThisMinute} alerts were not logged one by one in the last minute`);
    this.windowStartMs = nowMs;
    this.linesThisMinute = 0;
    this.suppressedThisMinute = 0;
  }
}

function cut(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
}
