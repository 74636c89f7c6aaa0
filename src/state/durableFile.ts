import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Replaces `file` with `text` so that a crash at any moment leaves either the old or the new content,
 * never a mix: write a temp file beside it, fsync it, rename it over, fsync the directory.
 */
export function writeFileAtomic(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeAndSync(temp, 'w', text);
  renameSync(temp, file);
  writeAndSync(dirname(file), 'r', undefined);
}

/** Opens `path` with `flags`, writes `text` (if any), fsyncs, closes. */
function writeAndSync(path: string, flags: 'w' | 'a' | 'r', text: string | undefined): void {
  const fd = openSync(path, flags, 0o600);
  try {
    if (text !== undefined) writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The same, off the event loop. */
export async function writeFileAtomicAsync(file: string, text: string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
  const dir = await open(dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** Appends `text` to `file` (creating it) and returns once it is on disk: one open, one write, one fsync. */
export function appendDurably(file: string, text: string): void {
  writeAndSync(file, 'a', text);
}
