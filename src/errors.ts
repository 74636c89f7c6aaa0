/**
 * Every error this service raises on purpose. Each has a stable `code` (scripts and metrics key on it),
 * says whether trying again can help (`retryable`), and never carries credentials: causes from HTTP
 * libraries are reduced to name/code/message before they are attached, because got's errors hold the
 * request options, headers included.
 */
export interface SafeCause {
  name: string;
  code?: string;
  message: string;
}

export class ServiceError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  override readonly cause?: SafeCause;

  constructor(code: string, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
    if (options.cause !== undefined) this.cause = toSafeCause(options.cause);
  }
}

export function toSafeCause(error: unknown): SafeCause {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'NonError', message: String(error) };
}

/** A mistake in what the user wrote: jobs.yaml, the environment or the command line. */
export class UsageError extends ServiceError {
  constructor(message: string) {
    super('usage', message);
  }
}

/** Work given up because of a shutdown: not a failure; the window is fetched again next time. */
export class CancelledError extends ServiceError {
  constructor(message = 'cancelled by shutdown') {
    super('cancelled', message);
  }
}

/**
 * The file system failed us (a full disk, an I/O error, a missing file). What was being written is not
 * kept; retryable, because space may come back.
 */
export class StorageError extends ServiceError {
  constructor(what: string, cause: unknown) {
    super('storage_failed', `${what}: ${describeFsError(cause)}`, { retryable: true, cause });
  }
}

/** "ENOSPC (no space left on device)" from a node file-system error. */
export function describeFsError(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  const known: Record<string, string> = {
    ENOSPC: 'no space left on device',
    EDQUOT: 'disk quota exceeded',
    EIO: 'input/output error',
    EROFS: 'read-only file system',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOENT: 'no such file or directory',
    ENOTDIR: 'a part of the path is a file, not a directory',
    EISDIR: 'is a directory',
  };
  if (code && known[code]) return `${code} (${known[code]})`;
  // node's message starts with the code again: "EBUSY: resource busy or locked, open '…'".
  const text = String(message ?? error).replace(new RegExp(`^${code}: `), '');
  return code ? `${code}: ${text}` : text;
}

/** Replaces every occurrence of each secret by a placeholder: the last line of defence for messages. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  return out;
}
