// Values that are worth computing once and sharing (a secret, a Lambda
// container's sink, "this table exists"), as long as they hold: a computation
// that fails is not kept, so the next caller tries again instead of getting
// the same failure forever; a value known to be stale (a rotated password, a
// dropped table) is forgotten by its key.

/** Promises by key, shared while pending or fulfilled; a rejected one is dropped. */
export class CacheUntilFailure<K, V> {
  readonly #entries = new Map<K, Promise<V>>();

  /** The value for `key`: the one cached, or `compute()`'s, cached until it fails. */
  get(key: K, compute: () => Promise<V>): Promise<V> {
    const cached = this.#entries.get(key);
    if (cached) return cached;
    const entry = compute();
    this.#entries.set(key, entry);
    // Dropped only if still the entry: a forget() and a newer computation meanwhile stay.
    entry.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    return entry;
  }

  /** The cached promise for `key`, if any; computes nothing. */
  peek(key: K): Promise<V> | undefined {
    return this.#entries.get(key);
  }

  /** Forgets `key`'s value: the next get() computes it again. Returns what was cached. */
  forget(key: K): Promise<V> | undefined {
    const cached = this.#entries.get(key);
    this.#entries.delete(key);
    return cached;
  }
}

/** One value, cached until it fails (a CacheUntilFailure of one key). */
export class OnceUntilFailure<V> {
  readonly #cache = new CacheUntilFailure<true, V>();

  constructor(private readonly compute: () => Promise<V>) {}

  get(): Promise<V> {
    return this.#cache.get(true, this.compute);
  }

  /** The cached promise, if any; computes nothing. */
  peek(): Promise<V> | undefined {
    return this.#cache.peek(true);
  }

  /** Forgets the value: the next get() computes it again. Returns what was cached. */
  forget(): Promise<V> | undefined {
    return this.#cache.forget(true);
  }
}
