// A problem found deep inside an attribute value. It collects the path on its
// way up, so that the record-level error can name the exact field without the
// hot path building path strings for values that are fine.

/** A path segment: an attribute name or type descriptor, or a list/set index. */
export type PathSegment = string | number;

export class FieldProblem extends Error {
  /** Path segments, innermost first while unwinding. */
  readonly segments: PathSegment[] = [];

  /** Adds the segment of the level the problem passed through and rethrows. */
  static within(error: unknown, segment: PathSegment): never {
    if (error instanceof FieldProblem) {
      error.segments.push(segment);
      throw error;
    }
    throw error;
  }

  /** The field as a path, outermost first: `dynamodb.NewImage.tags.L[2].S`. */
  path(prefix: string): string {
    let path = prefix;
    for (let i = this.segments.length - 1; i >= 0; i--) {
      path = appendSegment(path, this.segments[i] as PathSegment);
    }
    return path;
  }
}

// Attribute names are free text: a name that is not a plain identifier is
// written as a quoted subscript, so `a.b` and `[0]` can not be mistaken for
// nesting or an index (`dynamodb.NewImage["a.b"].NS[1]`).
const PLAIN_NAME = /^[A-Za-z_$][\w$-]*$/;

/** Appends one segment to a field path: `.name`, `["odd name"]` or `[index]`. */
export function appendSegment(path: string, segment: PathSegment): string {
  if (typeof segment === "number") return `${path}[${segment}]`;
  return PLAIN_NAME.test(segment) ? `${path}.${segment}` : `${path}[${JSON.stringify(segment)}]`;
}
