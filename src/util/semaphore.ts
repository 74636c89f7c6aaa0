import { CancelledError } from '../errors.js';

interface Waiter {
  start: () => void;
  cancel: () => void;
  signal: AbortSignal | undefined;
}

/**
 * At most `slots` holders at once; waiters are served in arrival order. Many waiters share one abort
 * signal (a shutdown): it gets one listener, not one per waiter (node warns past 10).
 */
export class Semaphore {
  private held = 0;
  private readonly waiters: Waiter[] = [];
  private readonly watched = new WeakSet<AbortSignal>();

  constructor(private readonly slots: number) {}

  /** Resolves once a slot is held (give it back with release()); rejects if `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new CancelledError());
    if (this.held < this.slots) {
      this.held++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      this.waiters.push({ start: resolve, cancel: () => reject(new CancelledError()), signal });
      if (signal && !this.watched.has(signal)) {
        this.watched.add(signal);
        signal.addEventListener('abort', () => this.cancelWaitersOf(signal), { once: true });
      }
    });
  }

  release(): void {
    const next = this.waiters.shift();
    if (next)
      next.start(); // the slot passes straight to the next waiter
    else this.held--;
  }

  private cancelWaitersOf(signal: AbortSignal): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i]!.signal !== signal) continue;
      this.waiters.splice(i, 1)[0]!.cancel();
    }
  }
}
