"use strict";
// In-memory state of one call for the reference server: roster, tallies, gate, update
// sequence and a hash-chained decision ledger. Everything is kept incrementally so each
// join, decision or leave costs O(purposes in the event), as a real server's would.

const crypto = require("node:crypto");

const GATING_PURPOSES = new Set(["recording"]);
const SENDABLE_STATES = new Set(["granted", "denied", "withdrawn", "objected", "not_objected"]);
const INITIAL_STATE = { recording: "pending" };
// Idempotency memory per call. A real server looks event ids up in its database; the
// reference keeps the newest ones only, so a long saturation run cannot exhaust memory.
const REMEMBERED_EVENT_IDS = 200000;

// CONTRACT §A: an event_id is a UUID (any version, canonical text form).
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function error(code, message, field) {
  const body = { code, message };
  if (field) body.fields = { [field]: [message] };
  return { ok: false, error: body };
}

class Call {
  constructor(id) {
    this.id = id;
    this.seq = 0; // numbers every host update: joins, leaves, decisions
    this.ledgerSeq = 0; // numbers stored decisions
    this.lastHash = "sha256:" + "0".repeat(64);
    this.participants = new Map(); // participant id -> participant
    this.byResume = new Map(); // resume secret -> participant
    this.nextNumber = 1;
    this.present = 0;
    this.tally = {}; // purpose -> state -> count, over present participants
    this.blocking = 0; // present participants whose gating purposes are not granted
    this.decisions = new Map(); // event id -> first acknowledgement
  }

  // --- roster -------------------------------------------------------------------------

  join(resumeSecret) {
    let participant = resumeSecret ? this.byResume.get(resumeSecret) : undefined;
    if (!participant) {
      const number = this.nextNumber++;
      participant = {
        id: "p" + number,
        number,
        label: "Participant " + number,
        channel: "widget",
        present: false,
        state: { ...INITIAL_STATE },
        updated_at: new Date().toISOString(),
        resume: crypto.randomBytes(16).toString("hex"),
        sockets: 0,
      };
      this.participants.set(participant.id, participant);
      this.byResume.set(participant.resume, participant);
    }
    participant.sockets += 1;
    if (participant.present) return { participant, update: null };
    this._setPresent(participant, true);
    return { participant, update: this._update("joined", participant) };
  }

  leave(participant) {
    participant.sockets = Math.max(0, participant.sockets - 1);
    if (participant.sockets > 0 || !participant.present) return null;
    this._setPresent(participant, false);
    return this._update("left", participant);
  }

  decide(participant, eventId, choices) {
    if (typeof eventId !== "string" || !UUID.test(eventId)) {
      return { ack: error("validation_failed", "event_id must be a UUID", "event_id"), update: null };
    }
    const first = this.decisions.get(eventId);
    if (first) return { ack: first, update: null };
    if (!choices || typeof choices !== "object" || Array.isArray(choices)) {
      return { ack: error("invalid_choices", "choices must be an object"), update: null };
    }
    const purposes = Object.keys(choices);
    if (purposes.length === 0) return { ack: error("invalid_choices", "choices is empty"), update: null };
    for (const purpose of purposes) {
      if (!SENDABLE_STATES.has(choices[purpose])) {
        return { ack: error("invalid_state", `unknown state for ${purpose}`), update: null };
      }
    }
    for (const purpose of purposes) this._setState(participant, purpose, choices[purpose]);
    participant.updated_at = new Date().toISOString();

    this.ledgerSeq += 1;
    const record = JSON.stringify([this.ledgerSeq, eventId, participant.id, choices, this.lastHash]);
    this.lastHash = "sha256:" + crypto.createHash("sha256").update(record).digest("hex");
    const ack = {
      ok: true,
      state: { ...participant.state },
      receipt: { id: "r" + this.ledgerSeq, seq: this.ledgerSeq, hash: this.lastHash },
    };
    this._remember(eventId, ack);
    return { ack, update: this._update("decision", participant) };
  }

  // --- views --------------------------------------------------------------------------

  roster() {
    const participants = [];
    for (const p of this.participants.values()) participants.push(this._public(p));
    return {
      call: { id: this.id, status: "open" },
      seq: this.seq,
      participants,
      summary: this.summary(),
      gate: this.gate(),
    };
  }

  summary() {
    const purposes = {};
    for (const purpose of Object.keys(this.tally)) purposes[purpose] = { ...this.tally[purpose] };
    return { present: this.present, purposes };
  }

  gate() {
    return { recording_allowed: this.blocking === 0, blocking: this.blocking };
  }

  // The live plan of one purpose (CONTRACT §D): who may be processed now. The bench's
  // purposes need no data, so no participant has `fields` beyond an empty object.
  plan(purpose) {
    const participants = [];
    let anyone = false;
    for (const p of this.participants.values()) {
      const state = p.state[purpose] === undefined ? null : p.state[purpose];
      const allowed = state === "granted";
      anyone = anyone || allowed;
      const entry = { id: p.id, ref: null, state, present: p.present, allowed };
      if (allowed) entry.fields = {};
      participants.push(entry);
    }
    const gating = GATING_PURPOSES.has(purpose);
    return {
      seq: this.seq,
      call_id: this.id,
      purpose,
      allowed: gating ? this.present > 0 && this.blocking === 0 : anyone,
      participants,
    };
  }

  // --- internals ----------------------------------------------------------------------

  _update(kind, participant) {
    this.seq += 1;
    return {
      seq: this.seq,
      kind,
      participant: this._public(participant),
      summary: this.summary(),
      gate: this.gate(),
    };
  }

  _public(p) {
    return {
      id: p.id,
      label: p.label,
      channel: p.channel,
      present: p.present,
      state: { ...p.state },
      updated_at: p.updated_at,
    };
  }

  _blocks(p) {
    for (const purpose of GATING_PURPOSES) {
      if (p.state[purpose] !== undefined && p.state[purpose] !== "granted") return true;
    }
    return false;
  }

  _count(purpose, state, delta) {
    const byState = this.tally[purpose] || (this.tally[purpose] = {});
    byState[state] = (byState[state] || 0) + delta;
  }

  _setPresent(p, present) {
    const sign = present ? 1 : -1;
    p.present = present;
    this.present += sign;
    for (const purpose of Object.keys(p.state)) this._count(purpose, p.state[purpose], sign);
    if (this._blocks(p)) this.blocking += sign;
  }

  _setState(p, purpose, state) {
    const blockedBefore = this._blocks(p);
    const old = p.state[purpose];
    if (p.present) {
      if (old !== undefined) this._count(purpose, old, -1);
      this._count(purpose, state, 1);
    }
    p.state[purpose] = state;
    if (p.present) this.blocking += (this._blocks(p) ? 1 : 0) - (blockedBefore ? 1 : 0);
  }

  _remember(eventId, ack) {
    this.decisions.set(eventId, ack);
    if (this.decisions.size > REMEMBERED_EVENT_IDS) {
      this.decisions.delete(this.decisions.keys().next().value);
    }
  }
}

module.exports = { Call };
