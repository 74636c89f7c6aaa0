import { ServiceError } from '../errors.js';
import type { FailureOutcome } from '../failures/classify.js';

/** The code of Radar's refusal of our credentials (401/403): no request can succeed until they change. */
export const RADAR_CREDENTIALS_REFUSED = 'radar_credentials_refused';
/** The code of Radar's refusal of a window as too large: a smaller window is answered. */
export const RADAR_WINDOW_REFUSED = 'radar_window_refused';

/** Radar said no, or could not be reached. `outcome` is the classifier's verdict. */
export class RadarApiError extends ServiceError {
  readonly status: number | undefined;
  readonly apiCode: number | undefined;
  readonly outcome: FailureOutcome;
  readonly retryAfterMs: number | undefined;

  constructor(
    message: string,
    fields: {
      status?: number;
      apiCode?: number;
      outcome: FailureOutcome;
      retryAfterMs?: number;
      /** Refused for the size of its window (radar/hints.ts, windowRefused). */
      windowRefused?: boolean;
      cause?: unknown;
    },
  ) {
    super(
      fields.status === 401 || fields.status === 403
        ? RADAR_CREDENTIALS_REFUSED
        : fields.windowRefused
          ? RADAR_WINDOW_REFUSED
          : fields.outcome === 'throttle'
            ? 'radar_throttled'
            : fields.outcome === 'fatal'
              ? 'radar_refused'
              : 'radar_unavailable',
      message,
      {
        retryable: fields.outcome !== 'fatal',
        cause: fields.cause,
      },
    );
    this.status = fields.status;
    this.apiCode = fields.apiCode;
    this.outcome = fields.outcome;
    this.retryAfterMs = fields.retryAfterMs;
  }
}
