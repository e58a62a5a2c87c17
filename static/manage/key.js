/**
 * The manage link: `/manage/<participant id>#key=<secret>` (CONTRACT §C). The secret is taken
 * from the fragment and the fragment is removed from the address bar at once, so that it stays
 * out of the history, bookmarks and screenshots of this tab; from then on it lives in memory only
 * (never in storage, a cookie or a query string).
 */

/**
 * @typedef {object} Credentials
 * @property {string} basePath where the server is mounted ("" at the root)
 * @property {string} participantId from the path (no secret)
 * @property {string | null} credential `<participant id>.<secret>`, as the API's header wants it,
 *   or null when the link carries no key
 */

/**
 * Read the link's credentials and wipe the fragment. `#key=` normally carries the secret alone
 * (the emailed link); the whole resume value `<participant id>.<secret>` is accepted too.
 * @returns {Credentials}
 */
export function takeCredentials() {
  const match = location.pathname.match(/^(.*?)\/manage\/([^/]+)\/?$/);
  const basePath = match ? match[1] : "";
  let participantId = "";
  try {
    participantId = match ? decodeURIComponent(match[2]) : "";
  } catch {
    participantId = "";
  }
  const key = new URLSearchParams(location.hash.slice(1)).get("key") || "";
  if (location.hash || location.href.endsWith("#")) {
    history.replaceState(history.state, "", location.pathname + location.search);
  }
  /** @type {string | null} */
  let credential = null;
  if (participantId && key) credential = key.startsWith(`${participantId}.`) ? key : `${participantId}.${key}`;
  return { basePath, participantId, credential };
}
