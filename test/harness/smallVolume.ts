/**
 * A small tmpfs mounted on a folder, to fill a disk on purpose (the tests run as root in CI). Where
 * mounting is refused (not root, no tmpfs), `mount()` returns a reason and the test says it skipped.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

export class SmallVolume {
  private mounted = false;
  constructor(readonly dir: string) {}

  /**
   * Mounts a tmpfs of `sizeKiB` (and at most `inodes` files, when given) on dir; undefined when done,
   * else why it could not.
   */
  mount(sizeKiB: number, inodes?: number): string | undefined {
    mkdirSync(this.dir, { recursive: true });
    const options = `size=${sizeKiB}k${inodes !== undefined ? `,nr_inodes=${inodes}` : ''}`;
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', this.dir], { stdio: 'pipe' });
      this.mounted = true;
      return undefined;
    } catch (error) {
      return `cannot mount a tmpfs on ${this.dir} (needs root): ${(error as Error).message.split('\n')[0]}`;
    }
  }

  /** Grows (or shrinks) the volume in place, keeping its files. */
  resize(sizeKiB: number): void {
    execFileSync('mount', ['-o', `remount,size=${sizeKiB}k`, this.dir], { stdio: 'pipe' });
  }

  unmount(): void {
    if (!this.mounted) return;
    execFileSync('umount', ['-l', this.dir], { stdio: 'pipe' });
    this.mounted = false;
  }
}
