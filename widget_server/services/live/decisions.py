"""Deciding: a participant's choices recorded in the ledger, then the state, the data it
allows (erased at once when withdrawn, denied or objected: domain/minimisation.py) and the
gate (domain/gate.py)."""

from typing import Any

from widget_server.domain.choices import checked_choices
from widget_server.domain.errors import StaleNotice
from widget_server.domain.fields import check_fields
from widget_server.domain.ids import new_id
from widget_server.domain.minimisation import (
    demanded,
    fields_for_decision,
    fields_to_erase,
    from_bridge,
)
from widget_server.domain.rights import check_still_decidable, check_turning_off
from widget_server.services.live.call import LiveCall, Person
from widget_server.services.live.commands import Decide


def decide(live: LiveCall, command: Decide) -> dict[str, Any]:
    """Record the choices, one ledger event per purpose. Idempotent on event_id: a retry
    returns the first answer and changes nothing. Everything is checked before anything
    changes, so a refusal leaves no trace. After the call's end only the manage and api
    channels may decide, only to turn processing off, until retention has passed
    (domain/rights.py); the data a withdrawal or objection frees is erased as it is live."""
    person = live.person(command.participant_id)
    previous = live.receipts.get((person.id, command.event_id))
    if previous is not None:
        return _answer(person, previous)
    if not live.is_open:
        check_still_decidable(command.channel, live.call["ended_at"], live.notice.purposes,
                              live.now)
    if command.seen_hash is not None and command.seen_hash != live.notice.content_hash:
        raise StaleNotice("The notice changed since it was shown; read it again.",
                          fields={"seen": ["Not the call's current notice."]})
    purposes = live.notice.purposes
    wanted = checked_choices(command.choices, live.notice.by_key, person.states)
    if not live.is_open:
        check_turning_off(wanted)
    allowed, required = fields_for_decision(purposes, person.states, wanted, person.held())
    given = check_fields(from_bridge(command.fields, allowed, command.channel), allowed,
                         demanded(required, command.channel),
                         "by the purposes this decision turns on")
    for key, state in wanted.items():
        live.append_event(person, command.event_id, key, state, command.channel)
    live.set_states(person, wanted)
    if any(person.row[name] not in (None, value) for name, value in given.items()):
        person.erased = True  # a value replaced by another is erased as much as a withdrawn one
    person.row.update(given)
    withdraw_data(person, fields_to_erase(purposes, person.states))
    live.record_update("decision", person)
    receipt = {"id": new_id("rcpt"), "participant_id": person.id,
               "event_id": command.event_id, "seq": live.call["ledger_seq"],
               "hash": live.call["ledger_head"], "state": dict(person.states)}
    live.receipts[(person.id, command.event_id)] = receipt
    live.new_receipts.append(receipt)
    return _answer(person, receipt)


def withdraw_data(person: Person, names: frozenset[str]) -> None:
    """Erase the fields no applying purpose needs any more (withdrawal, denial, objection)."""
    for name in names:
        if person.row[name] is not None:
            person.row[name] = None
            person.changed = person.erased = True


def _answer(person: Person, receipt: dict[str, Any]) -> dict[str, Any]:
    return {"state": receipt["state"], "held": sorted(person.held()),
            "receipt": {"id": receipt["id"], "seq": receipt["seq"], "hash": receipt["hash"]}}
