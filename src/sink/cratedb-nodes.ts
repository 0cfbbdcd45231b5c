// The nodes of a CrateDB cluster that one sink writes through, and which of
// them answer. Requests go round the nodes that answer; a node that stops
// answering (its connection refused or reset, or no answer within the
// client's timeout) is set aside and probed again after a backoff that
// doubles up to a ceiling, and takes requests again once a probe is answered.
// When no node is known to answer, the one whose backoff ends first is tried
// anyway: a sink never refuses work without trying a node, so one node alone
// behaves as before (its retries reach it) and a cluster that was down
// entirely is found again by the first request after it returns.

import { InternalError } from "../errors.ts";
import { backoffMs } from "./retry.ts";

/** First wait before a node that stopped answering is probed; doubles per failed probe. */
export const NODE_BACKOFF_BASE_MS = 1_000;
/** The longest wait between two probes of a node. */
export const NODE_BACKOFF_MAX_MS = 30_000;

export interface NodeHealth {
  /** Whether the node answered its last request or probe. */
  up: boolean;
  /** Failures in a row; sets the backoff. */
  failures: number;
  /** When a node that is down may be probed (ms since the epoch). */
  probeAt: number;
  /** A probe is on its way. */
  probing: boolean;
}

/** Tracks which of `nodes` answer; `probe(node)` resolves when the node answers anything. */
export class NodeSet<N> {
  readonly nodes: readonly N[];
  readonly #health: Map<N, NodeHealth>;
  readonly #probe: (node: N) => Promise<void>;
  readonly #now: () => number;
  #next = 0;

  constructor(nodes: readonly N[], probe: (node: N) => Promise<void>, now = Date.now) {
    if (nodes.length === 0) throw new InternalError("a node set needs at least one node");
    this.nodes = nodes;
    this.#probe = probe;
    this.#now = now;
    this.#health = new Map(
      nodes.map((node) => [node, { up: true, failures: 0, probeAt: 0, probing: false }]),
    );
  }

  /**
   * The node for the next request, leaving out `tried` (the nodes this request
   * already failed on): the next that answers, in turn; else, when none is
   * known to answer, the one whose backoff ends first. Undefined once every
   * node was tried. Nodes whose backoff has passed are probed meanwhile.
   */
  pick(tried: ReadonlySet<N> = new Set()): N | undefined {
    this.#probeDue();
    const count = this.nodes.length;
    for (let i = 0; i < count; i++) {
      const node = this.nodes[(this.#next + i) % count] as N;
      if (tried.has(node) || !this.health(node).up) continue;
      this.#next = (this.#next + i + 1) % count;
      return node;
    }
    let soonest: N | undefined;
    for (const node of this.nodes) {
      if (tried.has(node)) continue;
      if (soonest === undefined || this.health(node).probeAt < this.health(soonest).probeAt)
        soonest = node;
    }
    return soonest;
  }

  /** The node answered: it takes requests in turn again. */
  answered(node: N): void {
    const health = this.health(node);
    health.up = true;
    health.failures = 0;
  }

  /** The node did not answer: set aside until a probe after the backoff is answered. */
  failed(node: N): void {
    const health = this.health(node);
    health.up = false;
    health.failures++;
    health.probeAt =
      this.#now() + backoffMs(health.failures, NODE_BACKOFF_BASE_MS, NODE_BACKOFF_MAX_MS);
  }

  health(node: N): NodeHealth {
    return this.#health.get(node) as NodeHealth;
  }

  /** The nodes that answer now. */
  up(): N[] {
    return this.nodes.filter((node) => this.health(node).up);
  }

  #probeDue(): void {
    const now = this.#now();
    for (const node of this.nodes) {
      const health = this.health(node);
      if (health.up || health.probing || health.probeAt > now) continue;
      health.probing = true;
      this.#probe(node).then(
        () => {
          health.probing = false;
          this.answered(node);
        },
        () => {
          health.probing = false;
          this.failed(node);
        },
      );
    }
  }
}
