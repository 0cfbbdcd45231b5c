// "Did you mean ...?": the name a user most likely meant, among the names
// that exist, for a typo in an option, a configuration key, a table map or a
// table name. One rule for every message that suggests a name.

/**
 * The candidate `name` most likely stands for: one that differs only in case,
 * else the closest by edits (a letter added, dropped, changed, or two
 * neighbours swapped) when it is close enough to be a typo (at most one edit
 * per four letters, at least one); undefined when none is.
 */
export function nearName(name: string, candidates: Iterable<string>): string | undefined {
  const list = [...candidates].filter((c) => c !== name);
  const lower = name.toLowerCase();
  const sameLetters = list.find((c) => c.toLowerCase() === lower);
  if (sameLetters !== undefined) return sameLetters;
  const limit = Math.max(1, Math.floor(name.length / 4));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of list) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array(rows * cols).fill(0);
  const at = (i: number, j: number) => d[i * cols + j] as number;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        value = Math.min(value, at(i - 2, j - 2) + 1);
      d[i * cols + j] = value;
    }
  }
  return at(rows - 1, cols - 1);
}

/**
 * "; a table Forum exists (table names are case-sensitive)" when a table's
 * name differs from `name` only in case, "; did you mean Forum?" for a likely
 * typo, else "". Every message of a table that does not exist (a DynamoDB
 * table, a target table) ends so.
 */
export function nearTableHint(name: string, names: Iterable<string>): string {
  const near = nearName(name, names);
  if (near === undefined) return "";
  return near.toLowerCase() === name.toLowerCase()
    ? `; a table ${near} exists (table names are case-sensitive)`
    : `; did you mean ${near}?`;
}
