import { describe, expect, test } from '@jest/globals';
import { LineBatch } from '../../../../src/sink/influx/lineBatch.js';
import { InfluxWriteError, type LineWriter } from '../../../../src/sink/influx/lineWriter.js';
import { settle } from '../../../../src/sink/influx/settle.js';

/**
 * influxd 1.x under `max-values-per-tag`: a line whose tag value is new once the tag holds `limit`
 * values is dropped; the answer names only the first such value, and says how many it dropped.
 */
class TagLimitedInflux implements LineWriter {
  readonly description = 'tag-limited';
  readonly values = new Set<string>();
  requests = 0;
  constructor(private readonly limit: number) {}

  async write(batch: LineBatch): Promise<void> {
    this.requests++;
    const dropped: string[] = [];
    for (const line of batch.lines) {
      const value = /group_key=([^, ]+)/.exec(line)![1]!;
      if (this.values.has(value) || this.values.size < this.limit) this.values.add(value);
      else dropped.push(value);
    }
    if (dropped.length === 0) return;
    const reason = `partial write: max-values-per-tag limit exceeded (${this.limit}/${this.limit}): measurement="m" tag="group_key" value="${dropped[0]}" dropped=${dropped.length}`;
    throw new InfluxWriteError(`refused: ${reason}`, 'drop', { body: JSON.stringify({ error: reason }) });
  }

  async close(): Promise<void> {}
}

describe('settle', () => {
  test('an answer that names one refused line at a time: settled in a bounded number of requests', async () => {
    const influx = new TagLimitedInflux(8);
    const lines = Array.from({ length: 5000 }, (_, i) => `m,group_key=g${i} value=1 ${i}`);
    const settled = await settle(influx, LineBatch.of(lines), false);
    expect(settled.acknowledged).toBe(8);
    expect([...settled.refused.values()].flat()).toHaveLength(4992);
    // Not one request per line (5,000): halves, each dropped whole settled at once.
    expect(influx.requests).toBeLessThanOrEqual(4 + 4 * Math.ceil(Math.log2(5001)));
  });
});
