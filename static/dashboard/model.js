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
 * @typedef {object} Model
 * @property {{title?: string, status?: string, purposes?: Column[]} | null} call
 * @property {number} seq the last applied update; -1 before the first roster
 * @property {{recording_allowed: boolean, blocking: number} | null} gate
 * @property {Column[]} purposes the columns: purposes a participant decides
 * @property {Map<string, Person>} people in join order
 * @property {boolean} ended
 */

/** @returns {Model} */
export function createModel() {
  return { call: null, seq: -1, gate: null, purposes: [], people: new Map(), ended: false };
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
  const declared = model.call && Array.isArray(model.call.purposes) ? model.call.purposes : [];
  model.purposes = declared.filter((p) => p.lawful_basis === "consent" || p.lawful_basis === "legitimate_interests");
  model.people = new Map();
  for (const person of roster.participants || []) model.people.set(person.id, person);
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
 * @returns {{changed: Set<string>, rest: any[]}} ids changed, and the updates not applied
 */
export function applyUpdates(model, updates) {
  const sorted = [...updates].sort((a, b) => a.seq - b.seq);
  const changed = new Set();
  for (let i = 0; i < sorted.length; i++) {
    const result = applyUpdate(model, sorted[i]);
    if (result === "gap") return { changed, rest: sorted.slice(i) };
    if (result === "applied" && sorted[i].participant) changed.add(sorted[i].participant.id);
  }
  return { changed, rest: [] };
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
