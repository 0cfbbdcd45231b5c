// The user and password a database URL carries (`crate://user:p%40ss@host`),
// percent-decoded as the URL standard writes them: one reading for every sink.

/** The URL's user and password, decoded; undefined where the URL has none. */
export function urlCredentials(url: URL): { username?: string; password?: string } {
  return {
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
  };
}
