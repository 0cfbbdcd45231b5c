// A bounded queue between the readers of a full load and its writer: a reader
// waits while the queue is full, so memory holds at most `capacity` pages
// whatever the table's size (backpressure), and the writer waits while it is
// empty.

export class PageQueue<T> {
  private readonly items: T[] = [];
  private readonly waiting: Array<() => void> = [];
  private closed = false;

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.items.length;
  }

  /** Adds an item once there is room; resolves false (dropping it) when the queue was closed. */
  async put(item: T): Promise<boolean> {
    while (this.items.length >= this.capacity && !this.closed) await this.wait();
    if (this.closed) return false;
    this.items.push(item);
    this.wake();
    return true;
  }

  /** The next item, waiting for one; undefined once the queue is closed and empty. */
  async take(): Promise<T | undefined> {
    while (this.items.length === 0 && !this.closed) await this.wait();
    const item = this.items.shift();
    this.wake();
    return item;
  }

  /** The next item if one is there now. */
  poll(): T | undefined {
    const item = this.items.shift();
    if (item !== undefined) this.wake();
    return item;
  }

  /** No more puts: takers get what is left, then undefined. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  /** Drops what is queued (a stop): waiting readers are released. */
  discard(): void {
    this.closed = true;
    this.items.length = 0;
    this.wake();
  }

  private wait(): Promise<void> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private wake(): void {
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}
