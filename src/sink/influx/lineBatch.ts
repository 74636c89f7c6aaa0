/**
 * Line protocol for one write, held as the request body itself: newline-separated UTF-8. Traffic is
 * encoded straight into it from its columns (lineProtocol.ts, encodeBody), with no string per line:
 * those strings and the garbage they left were the largest CPU cost of ingest (BENCHMARKS.md). The
 * lines as strings are made only when something needs them one by one: the spool, the narrowing of a
 * refused write, the dead letters, the 2.x client.
 */
export class LineBatch {
  private made: readonly string[] | undefined;

  /**
   * `body` holds `count` lines, separated (not ended) by newlines; `makeLines` gives them back as
   * strings. (A string field may hold a newline of its own, so splitting the body is right only for
   * lines that have none, such as traffic's.)
   */
  constructor(
    readonly body: Buffer,
    readonly count: number,
    private readonly makeLines: () => readonly string[],
  ) {}

  static of(lines: readonly string[]): LineBatch {
    return new LineBatch(linesPayload(lines), lines.length, () => lines);
  }

  /**
   * Newline-separated lines as they lie in a file (a spool segment), taken as the body itself: no
   * decoding or splitting of megabytes on the event loop to replay a segment, which stalled every
   * other answer (/healthz took 87 ms) each time a replay was tried while InfluxDB was down. Blank
   * lines are not counted (InfluxDB skips them); the lines as strings are made only if needed.
   */
  static fromText(text: Buffer): LineBatch {
    let count = 0;
    let start = 0;
    while (start < text.length) {
      const end = text.indexOf(0x0a, start);
      const stop = end < 0 ? text.length : end;
      if (stop > start) count++;
      start = stop + 1;
    }
    const body = text.length > 0 && text[text.length - 1] === 0x0a ? text.subarray(0, text.length - 1) : text;
    return new LineBatch(body, count, () =>
      text
        .toString('utf8')
        .split('\n')
        .filter((line) => line !== ''),
    );
  }

  /** The lines of several batches together. */
  static countOf(batches: readonly LineBatch[]): number {
    return batches.reduce((sum, batch) => sum + batch.count, 0);
  }

  get lines(): readonly string[] {
    this.made ??= this.makeLines();
    return this.made;
  }
}

/**
 * Lines as one request body, newline-separated, encoded line by line into one Buffer rather than
 * `lines.join('\n')` and then encoded: each line is a concatenation that join must first flatten into
 * a new string, which took twice the CPU of writing the lines straight into the body.
 */
export function linesPayload(lines: readonly string[]): Buffer {
  let chars = 0;
  for (const line of lines) chars += line.length + 1;
  // Sized for ASCII, which line protocol almost always is; grown when a line needs more bytes.
  let body = Buffer.allocUnsafe(chars);
  let at = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (i > 0) body[at++] = 0x0a;
    if (line.length * 3 > body.length - at) {
      const needed = at + Buffer.byteLength(line) + (chars - line.length);
      if (needed > body.length) body = Buffer.concat([body.subarray(0, at)], needed);
    }
    at += body.write(line, at);
    chars -= line.length + 1;
  }
  return body.subarray(0, at);
}
