// Sink URLs hold credentials: this is the one way they are shown.

/**
 * The URL with its password replaced, for messages and logs. The URL parser
 * finds the password even when it holds "@"; text that does not parse loses
 * everything between "//" and the last "@".
 */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    const start = text.indexOf("//");
    const at = text.lastIndexOf("@");
    return start >= 0 && at > start ? `${text.slice(0, start + 2)}***${text.slice(at)}` : text;
  }
}
