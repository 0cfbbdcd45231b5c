// Work on something shared that must not interleave (a table's schema while
// the sink learns and declares its columns): each task starts once the one
// before it has settled, in the order they came. A task that fails does not
// stop the next; its caller gets the failure.

/** Runs async tasks one at a time, in the order given. */
export class OneAtATime {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
