/**
 * The widget's state: one object, changed only through the functions here, drawn by the views.
 *
 * Rules stay on the server: which fields a join asks for (`joinFields`), which a grant asks for
 * (each purpose's `grant_fields`), which are held now (`held`) all come from its answers. The
 * widget only remembers what it was told and what it is still sending.
 */

/**
 * @typedef {object} Purpose
 * @property {string} key
 * @property {string} lawful_basis
 * @property {string} title
 * @property {string} description
 * @property {string[]} data
 * @property {number} retention_days
 * @property {boolean} gates_recording
 * @property {string[]} [grant_fields]
 * @property {string | null} [legitimate_interest]
 * @property {boolean} [required]
 * @property {boolean} [automated_decisions]
 * @property {string[]} [processes]
 */

/**
 * @typedef {object} Notice
 * @property {string} [name]
 * @property {string} [content_hash]
 * @property {number} [version]
 * @property {{name?: string, contact_email?: string, address?: string,
 *   representative?: {name: string, contact_email: string}}} [controller]
 * @property {{name?: string, contact_email: string} | null} [dpo]
 * @property {{name: string, role: string, purposes: string[], country?: string}[]} [recipients]
 * @property {{country: string, safeguard: string}[]} [transfers]
 * @property {{name: string, url: string} | null} [supervisory_authority]
 * @property {string} [privacy_policy_url]
 * @property {string} language
 * @property {string[]} [languages]
 * @property {Purpose[]} purposes
 */

/** @typedef {{event_id: string, purpose: string, choices: Record<string, string>,
 *   fields?: Record<string, string>, seen?: string}} QueuedDecision */

/**
 * @typedef {object} NoticeChange what a notice change during the call asks of the participant
 * @property {string[]} changed keys of purposes changed, to decide again
 * @property {string[]} added keys of purposes new in this version
 * @property {string[]} dropped titles of purposes the notice no longer has
 */

/** @typedef {"loading" | "no_token" | "connecting" | "notice" | "joining" | "ready"
 *   | "reconnecting" | "ended" | "refused" | "failed"} Phase */

export const state = {
  /** @type {Phase} */
  phase: "loading",
  /** @type {string | null} a connect_error code */
  refusal: null,
  /** @type {string | null} */
  failure: null,
  /** @type {Notice | null} */
  notice: null,
  /** @type {string[]} fields the server asks for at join */
  joinFields: [],
  /** @type {Record<string, string>} */
  joinValues: {},
  /** @type {Record<string, string>} */
  joinErrors: {},
  joined: false,
  /** @type {{id: string, resume: string} | null} */
  participant: null,
  /** @type {Record<string, string>} confirmed states, by purpose key */
  choices: {},
  /** @type {string[]} fields the server holds for this participant now */
  held: [],
  /** @type {QueuedDecision[]} decisions not yet acknowledged, in order */
  queue: [],
  /** @type {{purpose: string, choice: string, needs: string[], values: Record<string, string>,
   *   errors: Record<string, string>} | null} the data a choice asks for (a grant, or taking
   *   an objection back), while asked */
  grant: null,
  /** @type {Record<string, string | null>} a refusal per purpose */
  errors: {},
  /** @type {"notice" | "summary"} */
  view: "notice",
  /** opened with "Change my choices": stays open until "Done" */
  editing: false,
  /** the full notice (every detail) is shown */
  details: false,
  /** the notice changed while it was shown (stale_notice) */
  noticeChanged: false,
  /** @type {NoticeChange | null} the notice changed during the call: what to ask again */
  changed: null,
  /** @type {{id: string, seq: number, hash: string} | null} */
  receipt: null,
  /** @type {string | null} the notice language picked by the participant */
  language: null,
  /** the server can send the manage link by email */
  emailLink: false,
  /** @type {{open: boolean, sending: boolean, failed: boolean, status: string | null,
   *   values: Record<string, string>, errors: Record<string, string>}} the manage link by email */
  mail: { open: false, sending: false, failed: false, status: null, values: {}, errors: {} },
};

/**
 * @param {Purpose} p
 */
export const isConsent = (p) => p.lawful_basis === "consent";

/**
 * @param {Purpose} p
 */
export const isObjectable = (p) => p.lawful_basis === "legitimate_interests";

/** @returns {Purpose[]} */
export function purposes() {
  return state.notice ? state.notice.purposes : [];
}

/**
 * @param {string} key
 * @returns {Purpose | undefined}
 */
export function purposeByKey(key) {
  return purposes().find((p) => p.key === key);
}

/**
 * The state to show: the last choice still being sent, else what the server confirmed.
 * @param {Purpose} p
 * @returns {string}
 */
export function shownState(p) {
  for (let i = state.queue.length - 1; i >= 0; i--) {
    const choice = state.queue[i].choices[p.key];
    if (choice) return choice;
  }
  return state.choices[p.key] || (isConsent(p) ? "pending" : isObjectable(p) ? "not_objected" : "informed");
}

/** @param {Purpose} p */
export function isSaving(p) {
  return state.queue.some((item) => p.key in item.choices);
}

/** Consent purposes not decided yet. */
export function pendingCount() {
  return purposes().filter((p) => isConsent(p) && shownState(p) === "pending").length;
}

/** Whether there is anything for the participant to decide. */
export function hasChoices() {
  return purposes().some((p) => isConsent(p) || isObjectable(p));
}

/**
 * What the meeting page is told: recording may run for this participant when every purpose that
 * gates it allows it (granted consent; no objection). The server's gate is the authority.
 */
export function recordingAllowed() {
  return purposes().every((p) => !p.gates_recording ||
    (isConsent(p) ? state.choices[p.key] === "granted" : state.choices[p.key] !== "objected"));
}

/**
 * The fields granting `p` asks for now: the server's grant_fields less what it holds.
 * @param {Purpose} p
 */
export function fieldsToGrant(p) {
  return (p.grant_fields || []).filter((field) => !state.held.includes(field));
}
