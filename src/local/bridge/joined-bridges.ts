// Several tables' bridges as one: the local stack runs a bridge per table,
// all putting on the same Kinesis stream, and its users (the `local` command,
// the demo) count, drain and stop them together.

import type { Bridge, BridgeStats } from "./bridge.ts";

export function joinBridges(bridges: Bridge[]): Bridge {
  const [only] = bridges;
  if (bridges.length === 1 && only) return only;
  const sum = (): BridgeStats => {
    const total = {} as Record<string, number>;
    for (const bridge of bridges)
      for (const [name, value] of Object.entries(bridge.stats))
        total[name] = (total[name] ?? 0) + value;
    return total as unknown as BridgeStats;
  };
  return {
    get stats() {
      return sum();
    },
    async drained(timeoutMs) {
      await Promise.all(bridges.map((b) => b.drained(timeoutMs)));
    },
    async stop() {
      await Promise.all(bridges.map((b) => b.stop()));
      return sum();
    },
  };
}
