// A CrateDB sink URL may name several nodes of one cluster, as CrateDB's own
// drivers take a list of hosts: `crate://user:pw@host1:4200,host2:4200` or
// `http://host1:4200,host2:4200`. The URL parser refuses such an authority,
// so the list is cut here into one URL per node, each with the same scheme,
// credentials, path and query; everything else reads those as ordinary URLs.

/** scheme://, then the authority (user info and hosts), then path, query and fragment. */
const SHAPE = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/is;

/**
 * The URL of each host a URL names, in order: one URL for an ordinary URL (or
 * text that is no URL at all, which its reader refuses), several for a host list.
 */
export function splitHosts(url: string): string[] {
  const match = SHAPE.exec(url);
  if (!match) return [url];
  const [, scheme, authority, rest] = match as unknown as [string, string, string, string];
  // A password may hold "@" or ",": the hosts follow the last "@".
  const at = authority.lastIndexOf("@");
  const userInfo = at >= 0 ? authority.slice(0, at + 1) : "";
  const hosts = authority.slice(at + 1).split(",");
  if (hosts.length === 1) return [url];
  return hosts.map((host) => `${scheme}${userInfo}${host.trim()}${rest}`);
}

/** True when a URL names more than one host. */
export function namesSeveralHosts(url: string): boolean {
  return splitHosts(url).length > 1;
}

/**
 * The password a sink URL holds (host list or not), as written and decoded,
 * for a log to blank out; none when there is none or the URL does not parse.
 */
export function passwordsIn(url: string): string[] {
  let raw: string;
  try {
    raw = new URL(splitHosts(url)[0] as string).password;
  } catch {
    return [];
  }
  if (raw === "") return [];
  try {
    const decoded = decodeURIComponent(raw);
    return decoded === raw ? [raw] : [raw, decoded];
  } catch {
    // Not valid percent-encoding: it is used as written.
    return [raw];
  }
}
