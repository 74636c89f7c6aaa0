/** A lock that many hold together (writes) or one holds alone (a removal), each waiting its turn. */
export class SharedOrAlone {
  private holders = 0;
  private aloneTurn: Promise<void> | undefined;
  private whenFree: (() => void)[] = [];

  async shared<T>(work: () => Promise<T>): Promise<T> {
    while (this.aloneTurn) await this.aloneTurn;
    this.holders++;
    try {
      return await work();
    } finally {
      if (--this.holders === 0) for (const go of this.whenFree.splice(0)) go();
    }
  }

  async alone<T>(work: () => Promise<T>): Promise<T> {
    while (this.aloneTurn) await this.aloneTurn;
    let release!: () => void;
    this.aloneTurn = new Promise((resolve) => (release = resolve));
    try {
      if (this.holders > 0) await new Promise<void>((resolve) => this.whenFree.push(resolve));
      return await work();
    } finally {
      this.aloneTurn = undefined;
      release();
    }
  }
}
