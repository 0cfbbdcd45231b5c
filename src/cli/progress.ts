// A progress line for long work: redrawn in place on a terminal, silent
// otherwise (logs get a summary instead of a stream of carriage returns).

export class Progress {
  private readonly started = performance.now();
  private lastDraw = 0;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly label: string,
  ) {}

  /** `fraction` in 0..1 when the total is known. */
  update(count: number, fraction?: number): void {
    if (!this.out.isTTY) return;
    const now = performance.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const rate = count / Math.max(0.001, (now - this.started) / 1000);
    const width = 24;
    const bar =
      fraction === undefined
        ? ""
        : `[${"#".repeat(Math.round(fraction * width)).padEnd(width, ".")}] ${(fraction * 100).toFixed(0).padStart(3)}% `;
    this.out.write(`\r${this.label} ${bar}${count} records, ${Math.round(rate)}/s   `);
  }

  done(count: number): void {
    if (!this.out.isTTY) return;
    this.lastDraw = 0;
    this.update(count, 1);
    this.out.write("\n");
  }
}
