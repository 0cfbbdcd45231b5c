// Command lines the CLI prints for the user to paste (`local up`'s relay
// line, the load's hand-off): each word as a POSIX shell reads it back.

/** The word, single-quoted when the shell would split or expand it. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
