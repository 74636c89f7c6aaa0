import type { Logger } from '../log.js';

/** Alerts in a Grafana webhook notification, as far as the log needs them. */
interface GrafanaAlert {
  status?: unknown;
  labels?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
}

/** The most a notification may hold: Grafana's are a few KB per alert. */
export const MAX_ALERT_BODY_BYTES = 1024 * 1024;

/**
 * POST /alerts: where the shipped Grafana contact point sends notifications when no webhook URL is
 * set (docker-compose.yml), so that alerts are at least in the service's log: one line per alert,
 * `warn` while firing, `info` once resolved. Returns the number of alerts logged; throws a message
 * for the sender when the body is not a Grafana webhook notification.
 */
export function logAlertNotification(body: string, logger: Logger): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Error('the body is not JSON: expected a Grafana webhook notification');
  }
  const alerts = (parsed as { alerts?: unknown } | null)?.alerts;
  if (!Array.isArray(alerts))
    throw new Error('the body has no "alerts" list: expected a Grafana webhook notification');
  for (const alert of alerts as GrafanaAlert[]) {
    const labels = Object.fromEntries(
      Object.entries(alert.labels ?? {})
        .filter(([key]) => !key.startsWith('__'))
        .map(([k, v]) => [k, String(v)]),
    );
    const summary = alert.annotations?.summary ?? labels.alertname ?? 'alert';
    const firing = alert.status !== 'resolved';
    logger.log(firing ? 'warn' : 'info', `alert ${firing ? 'firing' : 'resolved'}: ${String(summary)}`, {
      alert: labels,
    });
  }
  return alerts.length;
}
