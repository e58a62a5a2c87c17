/**
 * The participant's REST surface (`/api/v1/me…`), authenticated by the manage secret in an
 * `Authorization: Participant <participant id>.<secret>` header on every request. Nothing goes
 * in a query string, no cookie is sent, no referrer.
 */

/** The server does not know this link (a wrong, expired or erased-with-the-call secret). */
export class Unauthorized extends Error {}

/** The server could not be reached. */
export class Unreachable extends Error {}

/** The server refused the request: its problem+json, kept for its code and message. */
export class Refused extends Error {
  /**
   * @param {number} status
   * @param {{code?: string, detail?: string, errors?: Record<string, unknown>}} problem
   */
  constructor(status, problem) {
    super(problem.detail || `HTTP ${status}`);
    this.status = status;
    this.code = problem.code || "";
    this.errors = problem.errors || {};
  }
}

/**
 * @typedef {object} Me what GET /api/v1/me answers (README, "Rights after the call")
 * @property {{id: string, number: number, language: string, channel: string, joined_at: string}} participant
 * @property {{id: string, title: string, status: string, ended_at: string | null}} call
 * @property {import("../widget/state.js").Notice} notice
 * @property {Record<string, string>} state
 * @property {Record<string, string>} fields
 * @property {{seq: number, event_id: string, purpose: string | null, state: string,
 *   channel: string, recorded_at: string, notice_version: number}[]} events
 * @property {{id: string, event_id: string, seq: number, hash: string, jws: string}[]} receipts
 * @property {{grant: boolean, withdraw_or_object: boolean, decisions_until: string | null}} rights
 */

/**
 * @param {string} basePath
 * @param {string} credential `<participant id>.<secret>`
 */
export function createClient(basePath, credential) {
  /**
   * @param {string} method
   * @param {string} path under /api/v1
   * @param {unknown} [body]
   */
  async function request(method, path, body) {
    /** @type {Record<string, string>} */
    const headers = { Authorization: `Participant ${credential}`, Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    /** @type {Response} */
    let response;
    try {
      response = await fetch(`${basePath}/api/v1${path}`, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer",
      });
    } catch {
      throw new Unreachable();
    }
    if (response.status === 401) throw new Unauthorized();
    if (!response.ok) throw new Refused(response.status, await response.json().catch(() => ({})));
    return response;
  }

  return {
    /** @returns {Promise<Me>} */
    async me() {
      return (await request("GET", "/me")).json();
    },
    /** @returns {Promise<{name: string, blob: Blob}>} the export, as the server names it */
    async exportFile() {
      const response = await request("GET", "/me/export");
      const disposition = response.headers.get("Content-Disposition") || "";
      const named = disposition.match(/filename="([^"]+)"/);
      return { name: named ? named[1] : "my-data.json", blob: await response.blob() };
    },
    /**
     * @param {{event_id: string, choices: Record<string, string>, fields?: Record<string, string>,
     *   seen?: {notice_hash: string}}} decision
     * @returns {Promise<{state: Record<string, string>, held: string[]}>}
     */
    async decide(decision) {
      return (await request("POST", "/me/decisions", decision)).json();
    },
    /** @returns {Promise<{erased: string[], held: string[], recorded: boolean}>} */
    async erase() {
      return (await request("DELETE", "/me")).json();
    },
  };
}
