// A seeded pseudo-random generator for the local stack's fault injection,
// the demo's workloads and the benchmarks' corpora: never Math.random, so
// every run with the same seed repeats.

/** mulberry32: small and fast; returns numbers in [0, 1). */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
