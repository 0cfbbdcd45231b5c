// The one way secrets are kept out of output. URLs (a sink's, a MongoDB
// source's) hold credentials: the user info's password and every query
// parameter that may hold a secret (`password`, `sslpassword`, `token`, any
// name with `secret` or `key` in it) become `***`, in a URL given alone or
// inside any text (an error message). Secrets known by value (a password
// from a secret, an Authorization token) are blanked wherever they appear.

/** Query parameter names whose values are secrets. */
const SECRET_PARAM = /^(password|sslpassword|passwd|pwd|token|.*secret.*|.*key.*)$/i;

/**
 * The URL with its secrets replaced, for messages and logs. The URL parser
 * finds the password even when it holds "@"; text that does not parse loses
 * everything between "//" and the last "@", and its secret parameters.
 */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password) url.password = "***";
    for (const name of [...url.searchParams.keys()]) {
      if (SECRET_PARAM.test(name)) url.searchParams.set(name, "***");
    }
    // URLSearchParams writes "*" percent-encoded; keep the mark readable.
    return url.toString().replaceAll("%2A%2A%2A", "***");
  } catch {
    const start = text.indexOf("//");
    const at = text.lastIndexOf("@");
    const shown =
      start >= 0 && at > start ? `${text.slice(0, start + 2)}***${text.slice(at)}` : text;
    return redactParams(shown);
  }
}

/** `name=value` pairs with a secret name, in a query string or a libpq keyword string. */
function redactParams(text: string): string {
  return text.replace(/([A-Za-z_][\w-]*)=([^&\s"']*)/g, (whole, name: string) =>
    SECRET_PARAM.test(name) ? `${name}=***` : whole,
  );
}

/** Any text (an error message, a log line) with every URL in it redacted. */
export function redactSecrets(text: string): string {
  return redactParams(text.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, (url) => redactUrl(url)));
}

// Shorter strings would blank ordinary words out of every line; a password
// this short is no protection anyway.
const MIN_SECRET_LENGTH = 4;

/** The forms `secret` takes in text (raw, URL-encoded, JSON-escaped), those long enough to blank. */
export function secretForms(secret: string | undefined): string[] {
  if (!secret || secret.length < MIN_SECRET_LENGTH) return [];
  const forms = [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)];
  return [...new Set(forms)].filter((form) => form.length >= MIN_SECRET_LENGTH);
}

/** `text` with every one of `secrets` (known by value) replaced by `***`. */
export function blankSecrets(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of secrets) out = out.replaceAll(secret, "***");
  return out;
}
