import { closeSync, mkdirSync, statSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/**
 * Replaces `file` with `text` so that a crash at any moment leaves either the old or the new content,
 * never a mix: write a temp file beside it, fsync it, rename it over, fsync the directory. A failure
 * (a full disk) removes the temp file and leaves the old content.
 */
export function writeFileAtomic(file: string, text: string): void {
  const temp = tempPath(file);
  try {
    writeAndSync(temp, 'w', text);
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  writeAndSync(dirname(file), 'r', undefined);
}

/** The same, off the event loop. */
export async function writeFileAtomicAsync(file: string, text: string): Promise<void> {
  const temp = tempPath(file);
  try {
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  const dir = await open(dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/**
 * Appends `bytes` to `file` (creating it), off the event loop, and resolves only once every byte is on
 * disk: one open, every byte written (a write on a nearly full disk can be short), one fsync. When any
 * of that fails (ENOSPC, EIO, EDQUOT) the file is cut back to its old length, so no torn line is left
 * behind, and the error is thrown: the caller must treat the text as not kept. `freshLine`:
 * the text starts on a line of its own even when the file's last line was cut short.
 */
export async function appendDurablyAsync(file: string, bytes: Buffer, freshLine = false): Promise<void> {
  const handle = await open(file, freshLine ? 'a+' : 'a', 0o600);
  let oldLength = 0;
  try {
    oldLength = (await handle.stat()).size;
    if (freshLine && oldLength > 0) {
      // A last line without its newline (a crash cut it short) is ended first.
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, oldLength - 1);
      if (last[0] !== 0x0a) bytes = Buffer.concat([Buffer.from('\n'), bytes]);
    }
    for (let offset = 0; offset < bytes.length;) {
      const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
      if (bytesWritten <= 0) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      offset += bytesWritten;
    }
    await handle.sync();
  } catch (error) {
    await handle.truncate(oldLength).catch(() => undefined); // a reader drops a torn tail on open anyway
    throw error;
  } finally {
    await handle.close();
  }
}

/** Opens `path` with `flags`, writes `text` (if any) in full, fsyncs, closes. */
function writeAndSync(path: string, flags: 'w' | 'r', text: string | undefined): void {
  const fd = openSync(path, flags, 0o600);
  try {
    if (text !== undefined) writeFully(fd, Buffer.from(text));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function writeFully(fd: number, bytes: Buffer): void {
  for (let offset = 0; offset < bytes.length;) {
    const written = writeSync(fd, bytes, offset, bytes.length - offset);
    if (written <= 0) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    offset += written;
  }
}

function tempPath(file: string): string {
  return `${file}.${process.pid}.tmp`;
}

/**
 * Creates a directory and its missing parents, one level at a time, private (0700 whatever the umask:
 * the mode asked for is only narrowed by it). Not `mkdirSync(…, { recursive: true })`: under a parent
 * where mkdir answers ENOENT though the parent exists (/proc, /sys), node's recursive mkdir retries
 * for ever at 100 % CPU; here that ENOENT is the error it is.
 */
export function makeDirectory(path: string, mode = 0o700): void {
  const dir = resolve(path);
  try {
    if (statSync(dir).isDirectory()) return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const parent = dirname(dir);
  if (parent !== dir) makeDirectory(parent, mode);
  try {
    mkdirSync(dir, { mode });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}
