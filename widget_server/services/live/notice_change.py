"""Changing the notice of a running call (issue 11): the call moves to a later version of its
own notice, and every participant with it.

A purpose unchanged in every respect (key, basis, data, retention, gate, texts: its whole
definition) keeps each participant's state; a new or changed one starts anew at its initial
state (`pending`, `not_objected`), recorded in the ledger; a dropped one goes, and data held only
for it is erased at once (domain/minimisation.py); the gate is recomputed (domain/gate.py).
Later ledger events carry the new version and hash, and joins must have seen it.
"""

from typing import Any

from widget_server.domain.errors import CallEnded, ValidationFailed
from widget_server.domain.hashing import canonical_json
from widget_server.domain.lawful_basis import initial_state
from widget_server.domain.minimisation import fields_to_erase
from widget_server.services.live.call import LiveCall, new_event_id
from widget_server.services.live.commands import ChangeNotice
from widget_server.services.live.decisions import withdraw_data
from widget_server.services.live.notices import NoticeInfo

SERVER = "server"  # the channel of ledger events the server records itself


def change_notice(live: LiveCall, command: ChangeNotice) -> dict[str, Any]:
    """Everything is checked before anything changes, so a refusal leaves no trace."""
    if not live.is_open:
        raise CallEnded("The call has ended; its notice can no longer change.")
    old = live.notice
    if command.notice_id is not None and command.notice_id != live.notice_id:
        raise ValidationFailed(
            f"A call can move only to a later version of its own notice ({live.notice_id}).",
            fields={"notice_id": [f"Not this call's notice ({live.notice_id})."]})
    new = live.versions.get(command.version)
    if new is None:
        raise ValidationFailed(f"Notice {live.notice_id} has no version {command.version}.",
                               fields={"version": ["No such version of this call's notice."]})
    if new.version <= old.version:
        raise ValidationFailed(
            f"The call is at version {old.version}; it can only move to a later one.",
            fields={"version": [f"Must be later than {old.version}."]})
    asked_again, dropped = compare(old, new)
    live.notice = new
    fresh = {key: initial_state(new.by_key[key].basis) for key in asked_again}
    for person in live.people.values():
        after = {p.key: fresh[p.key] if p.key in fresh
                 else person.states.get(p.key, initial_state(p.basis)) for p in new.purposes}
        if asked_again:
            event_id = new_event_id()
            for key in asked_again:
                live.append_event(person, event_id, key, fresh[key], SERVER)
        live.restate(person, after)
        withdraw_data(person, fields_to_erase(new.purposes, person.states))
    changed = {"asked_again": asked_again, "dropped": dropped, "states": fresh}
    ref = {"id": live.notice_id, "version": new.version, "content_hash": new.content_hash}
    live.record_update("notice_changed", None, {**ref, **changed,
                                                "purposes": columns(new)})
    live.notice_changes.append({"call_id": live.id, "notice": ref, **changed})
    return {"notice": ref, **changed}


def compare(old: NoticeInfo, new: NoticeInfo) -> tuple[list[str], list[str]]:
    """(keys of purposes new or changed in any respect, in the new notice's order; keys of
    purposes the new version no longer has)."""
    before = {p["key"]: canonical_json(p) for p in old.content["purposes"]}
    asked_again = [p["key"] for p in new.content["purposes"]
                   if before.get(p["key"]) != canonical_json(p)]
    return asked_again, sorted(before.keys() - new.by_key.keys())


def columns(notice: NoticeInfo) -> list[dict[str, Any]]:
    """The purposes as the host roster's columns (as roster.call.purposes lists them)."""
    default = notice.content["default_language"]
    return [{"key": p.key, "title": p.text[default]["title"], "lawful_basis": p.basis.value,
             "gates_recording": p.gates_recording} for p in notice.purposes]
