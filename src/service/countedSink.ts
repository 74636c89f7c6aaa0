import type { PointBatch } from '../model/point.js';
import type { WriteOutcome } from '../sink/outcome.js';
import type { PointSink } from '../sink/sink.js';
import type { Metrics } from './metrics.js';

/**
 * A sink whose every write is counted in the service's metrics, from the write's own outcome: the one
 * place `/metrics` and `radar_service` learn what InfluxDB took, what waits and what was refused.
 */
export function countedSink(sink: PointSink, metrics: Metrics): PointSink {
  return {
    get description() {
      return sink.description;
    },
    async write(batch: PointBatch, context?: Record<string, string>): Promise<WriteOutcome> {
      const outcome = await sink.write(batch, context);
      metrics.written(outcome);
      return outcome;
    },
    health: () => sink.health(),
    drain: (waitMs) => sink.drain(waitMs),
    close: () => sink.close(),
    ...(sink.removeGroups ? { removeGroups: sink.removeGroups.bind(sink) } : {}),
  };
}
