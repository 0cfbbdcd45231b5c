// A problem found deep inside an attribute value. It collects the path on its
// way up, so that the record-level error can name the exact field without the
// hot path building path strings for values that are fine.

export class FieldProblem extends Error {
  /** Path segments, innermost first while unwinding. */
  readonly segments: string[] = [];

  /** Adds the segment of the level the problem passed through and rethrows. */
  static within(error: unknown, segment: string): never {
    if (error instanceof FieldProblem) {
      error.segments.push(segment);
      throw error;
    }
    throw error;
  }

  /** The field as a dotted path, outermost first: `NewImage.tags[2].S`. */
  path(prefix: string): string {
    let path = prefix;
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const segment = this.segments[i] as string;
      path += segment.startsWith("[") ? segment : `.${segment}`;
    }
    return path;
  }
}
