// Where a stopped replay resumes: the sink failed (an outage that outlasted
// the wait, or a failure no wait heals), every line before `resumeLine` is
// applied or dead-lettered, none from it on is; the same command with
// `--resume LINE` carries on from there.

import { DynacrateError } from "../errors.ts";
import type { ReplaySummary } from "./summary.ts";

/**
 * The sink failed (an outage that outlasted the wait, or a failure no wait
 * heals: credentials, permissions); lines before `resumeLine` are applied.
 */
export class ReplayStopped extends DynacrateError {
  override name = "ReplayStopped";
  constructor(
    readonly resumeLine: number,
    readonly reason: string,
    readonly summary: ReplaySummary,
    options?: ErrorOptions,
  ) {
    super(`stopped at line ${resumeLine}: ${reason}`, options);
  }
}

/**
 * The arguments of a replay run again from `resumeLine`: those given, with
 * the `--resume N` (or `--resume=N`) of an earlier run left out.
 */
export function resumeArgs(argv: string[], resumeLine: number): string[] {
  const isResume = (arg: string, i: number) =>
    arg.startsWith("--resume=") || arg === "--resume" || argv[i - 1] === "--resume";
  return [...argv.filter((arg, i) => !isResume(arg, i)), "--resume", String(resumeLine)];
}
