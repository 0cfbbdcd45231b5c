// What `dynacrate load` shows while it runs: on a terminal, a progress bar
// (items, items/s, percent of the table's or export's item count, ETA);
// otherwise one JSON line every few seconds, a structured log line as the
// relay and the Lambda function write them (src/log.ts).

import type { LoadProgressEvent } from "../load/load.ts";
import { Logger } from "../log.ts";
import { retryFields } from "../sink/retry.ts";

export class LoadDisplay {
  private readonly started = performance.now();
  private lastDraw = 0;
  private drawn = false;

  /** Progress, on `out` when it is not a terminal. */
  private readonly log: Logger;
  /** Retries, on stderr: a terminal's progress bar stays on `out`. */
  private readonly problems = new Logger("info", (line) => process.stderr.write(`${line}\n`));

  constructor(
    private readonly out: NodeJS.WriteStream,
    /** Between JSON lines when not on a terminal. */
    private readonly intervalMs = 2000,
  ) {
    this.log = new Logger("info", (line) => out.write(`${line}\n`));
  }

  progress(event: LoadProgressEvent, force = false): void {
    const now = performance.now();
    const tty = this.out.isTTY;
    if (!force && now - this.lastDraw < (tty ? 200 : this.intervalMs)) return;
    this.lastDraw = now;
    const seconds = Math.max(0.001, (now - this.started) / 1000);
    const rate = event.itemsThisRun / seconds;
    // The table's ItemCount is approximate (DynamoDB updates it every 6 hours): never past 100%.
    const fraction =
      event.total && event.total > 0 ? Math.min(1, event.items / event.total) : undefined;
    const left = event.total !== undefined ? Math.max(0, event.total - event.items) : undefined;
    const eta = left !== undefined && rate > 0 ? left / rate : undefined;
    if (!tty) {
      this.log.info("progress", {
        items: event.items,
        total: event.total,
        percent: fraction === undefined ? undefined : Math.round(fraction * 1000) / 10,
        itemsPerSecond: Math.round(rate),
        etaSeconds: eta === undefined ? undefined : Math.round(eta),
        parts: event.parts,
        partsDone: event.partsDone,
        queued: event.queued,
      });
      return;
    }
    const width = 24;
    const bar =
      fraction === undefined
        ? ""
        : `[${"#".repeat(Math.round(fraction * width)).padEnd(width, ".")}] ${(fraction * 100).toFixed(0).padStart(3)}% `;
    this.out.write(
      `\rload ${bar}${event.items.toLocaleString("en-US")} items, ${Math.round(rate).toLocaleString("en-US")}/s` +
        `${eta === undefined ? "" : `, ETA ${clock(eta)}`}, parts ${event.partsDone}/${event.parts}\x1b[K`,
    );
    this.drawn = true;
  }

  retry(what: string, error: unknown, delayMs: number): void {
    // On a terminal, the progress bar is ended first, so the log line stands alone.
    if (this.out.isTTY && this.drawn) process.stderr.write("\n");
    this.problems.warn("retry", retryFields(what, error, delayMs));
  }

  done(): void {
    if (this.out.isTTY && this.drawn) this.out.write("\n");
  }
}

function clock(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}
