/**
 * The dashboard's model of one call: pure functions over plain data, no DOM, no socket.
 *
 * The server sends a `roster`, then numbered `update`s; they are applied strictly in sequence,
 * and a gap is reported so the caller can resynchronise. Who holds recording up, and since when,
 * is the server's word (`blocking`, `blocking_since`), not worked out here.
 */

/**
 * @typedef {object} Person
 * @property {string} id
 * @property {string} [label]
 * @property {string} [channel]
 * @property {boolean} [present]
 * @property {Record<string, string>} [state]
 * @property {boolean} [blocking]
 * @property {string | null} [blocking_since]
 * @property {string} [updated_at]
 */

/** @typedef {{key: string, title?: string, lawful_basis: string | null,
 *   gates_recording: boolean | null}} Column */

/**
 * @typedef {object} NoticeChange the last change of the call's notice seen live
 * @property {number} version the version the call moved to
 * @property {string[]} asked_again keys of the purposes new or changed (everyone asked again)
 * @property {string[]} dropped keys of the purposes the new version no longer has
 */

/**
 * @typedef {object} Model
 * @property {{title?: string, status?: string, notice?: {id: string, version: number},
 *   purposes?: Column[]} | null} call
 * @property {number} seq the last applied update; -1 before the first roster
 * @property {{recording_allowed: boolean, blocking: number} | null} gate
 * @property {Column[]} purposes the columns: purposes a participant decides
 * @property {Map<string, Person>} people in join order
 * @property {boolean} ended
 * @property {NoticeChange | null} noticeChange
 */

/** @returns {Model} */
export function createModel() {
  return { call: null, seq: -1, gate: null, purposes: [], people: new Map(), ended: false, noticeChange: null };
}

/**
 * Replace everything with a roster (at connect, or from a resync).
 * @param {Model} model
 * @param {any} roster
 */
export function applyRoster(model, roster) {
  model.call = roster.call || model.call;
  model.seq = typeof roster.seq === "number" ? roster.seq : 0;
  model.gate = roster.gate || model.gate;
  model.ended = Boolean(model.call && model.call.status && model.call.status !== "open");
  model.purposes = decided(model.call && Array.isArray(model.call.purposes) ? model.call.purposes : []);
  model.people = new Map();
  for (const person of roster.participants || []) model.people.set(person.id, person);
}

/**
 * The columns: the purposes a participant decides.
 * @param {Column[]} declared
 */
function decided(declared) {
  return declared.filter((p) => p.lawful_basis === "consent" || p.lawful_basis === "legitimate_interests");
}

/**
 * The call moved to a later version of its notice: new columns, and everyone's state of each
 * purpose asked again starts anew (the server's fresh roster says the same, at this seq).
 * @param {Model} model
 * @param {any} notice the update's `notice`: version, asked_again, dropped, states, purposes
 */
function applyNoticeChange(model, notice) {
  const asked = Array.isArray(notice.asked_again) ? notice.asked_again.map(String) : [];
  const dropped = Array.isArray(notice.dropped) ? notice.dropped.map(String) : [];
  const fresh = notice.states && typeof notice.states === "object" ? notice.states : {};
  if (Array.isArray(notice.purposes)) {
    model.call = { ...(model.call || {}), purposes: notice.purposes };
    model.purposes = decided(notice.purposes);
  }
  if (model.call && notice.id) model.call.notice = { id: String(notice.id), version: Number(notice.version) };
  for (const [id, person] of model.people) {
    const state = { ...(person.state || {}) };
    for (const key of dropped) delete state[key];
    for (const key of asked) if (fresh[key]) state[key] = fresh[key];
    model.people.set(id, { ...person, state });
  }
  model.noticeChange = { version: Number(notice.version), asked_again: asked, dropped };
}

/**
 * Apply one update in sequence.
 * @param {Model} model
 * @param {any} update
 * @returns {"applied" | "old" | "gap"} "gap": an earlier update is missing (resync)
 */
export function applyUpdate(model, update) {
  if (typeof update.seq !== "number" || update.seq <= model.seq) return "old";
  if (update.seq !== model.seq + 1) return "gap";
  model.seq = update.seq;
  if (update.gate) model.gate = update.gate;
  if (update.kind === "call_ended") model.ended = true;
  if (update.kind === "notice_changed" && update.notice) applyNoticeChange(model, update.notice);
  const person = update.participant;
  if (person && person.id) {
    const known = model.people.get(person.id);
    model.people.set(person.id, known ? { ...known, ...person } : person);
  }
  return "applied";
}

/**
 * Apply updates (in any order) until a gap; what is left waits for the resync.
 * @param {Model} model
 * @param {any[]} updates
 * @returns {{changed: Set<string>, rest: any[], notice: NoticeChange | null}} ids changed, the
 *   updates not applied, and a notice change among those applied (every row and column changes)
 */
export function applyUpdates(model, updates) {
  const sorted = [...updates].sort((a, b) => a.seq - b.seq);
  const changed = new Set();
  /** @type {NoticeChange | null} */
  let notice = null;
  for (let i = 0; i < sorted.length; i++) {
    const result = applyUpdate(model, sorted[i]);
    if (result === "gap") return { changed, rest: sorted.slice(i), notice };
    if (result === "applied" && sorted[i].participant) changed.add(sorted[i].participant.id);
    if (result === "applied" && sorted[i].kind === "notice_changed") notice = model.noticeChange;
  }
  return { changed, rest: [], notice };
}

/**
 * Whether a person holds recording up now (the server's flag; nobody once the call ended).
 * @param {Model} model
 * @param {Person} person
 */
export function isBlocking(model, person) {
  return !model.ended && Boolean(person.present) && person.blocking === true;
}

/**
 * Counts for the overview, present and left apart: per purpose, each state among those present,
 * and how many who left had which state.
 * @param {Model} model
 */
export function counts(model) {
  let present = 0;
  let left = 0;
  /** @type {Record<string, {present: Record<string, number>, left: Record<string, number>}>} */
  const purposes = {};
  for (const column of model.purposes) purposes[column.key] = { present: {}, left: {} };
  for (const person of model.people.values()) {
    const where = person.present ? "present" : "left";
    if (person.present) present++;
    else left++;
    for (const column of model.purposes) {
      const value = (person.state || {})[column.key];
      if (!value) continue;
      const bucket = purposes[column.key][where];
      bucket[value] = (bucket[value] || 0) + 1;
    }
  }
  return { present, left, total: present + left, purposes };
}

/**
 * @typedef {{text: string, show: "all" | "present" | "blocking" | "left"}} Filter
 */

/**
 * @param {Model} model
 * @param {Person} person
 * @param {Filter} filter
 */
export function matches(model, person, filter) {
  if (filter.text && !String(person.label || "").toLowerCase().includes(filter.text)) return false;
  switch (filter.show) {
    case "present": return Boolean(person.present);
    case "left": return !person.present;
    case "blocking": return isBlocking(model, person);
    default: return true;
  }
}
