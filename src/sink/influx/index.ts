/**
 * The one door into the InfluxDB sink: what the rest of the product may use of it. Opening the sink
 * (a PointSink: the writers, the spool and the dead letters stay behind it), checking InfluxDB before
 * a run, the sink's files for `status` and `dead-letters`, and the encoder (which --dry-run's file
 * sink prints with). The architecture test allows no other
 * import of this folder from outside it.
 */
export { checkInflux } from './connect.js';
export { influxStateFiles, openInfluxSink } from './open.js';
export { inspectSpool, type SpoolContents } from './spool.js';
export { summarizeDeadLetters } from './deadLetters.js';
export { replayDeadLetters, type ReplayReport, type Superseded } from './deadLetterReplay.js';
export { encodeBody } from './lineProtocol.js';
