/**
 * libfaketime (Debian's `faketime` package) preloaded into a CLI child, to step its wall clock while it
 * runs: the offset is read from a file (FAKETIME_TIMESTAMP_FILE) at most once a second, and the
 * monotonic clock is left alone (FAKETIME_DONT_FAKE_MONOTONIC), as with a real step (NTP, an operator).
 */
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The library's path on this machine (its folder is named after the architecture), or undefined. */
export function libfaketimePath(): string | undefined {
  for (const arch of existsSync('/usr/lib') ? readdirSync('/usr/lib') : []) {
    const path = join('/usr/lib', arch, 'faketime', 'libfaketime.so.1');
    if (existsSync(path)) return path;
  }
  return undefined;
}

export class SteppedWallClock {
  private readonly file = join(mkdtempSync(join(tmpdir(), 'faketime-')), 'offset');

  constructor() {
    this.set('+0');
  }

  /** The environment that makes a child read its wall clock through this offset. */
  env(): Record<string, string> {
    const library = libfaketimePath();
    if (!library) throw new Error('libfaketime is missing: apt-get install faketime (.ci/run installs it)');
    return {
      LD_PRELOAD: library,
      FAKETIME_TIMESTAMP_FILE: this.file,
      FAKETIME_CACHE_DURATION: '1',
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
    };
  }

  /** The offset from the real time, in libfaketime's words: "+0", "-1h", "+3h". */
  set(offset: string): void {
    writeFileSync(this.file, `${offset}\n`);
  }
}
