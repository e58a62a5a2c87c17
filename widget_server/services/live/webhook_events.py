"""What a batch of live changes reports to webhooks: one event per host update (its kind named
as CONTRACT §D names it), and gate.changed when the recording gate turned.

Pseudonymous only: the call's and participants' ids, purposes, states and sequence numbers;
never a name, email, phone or the call's title.
"""

from typing import TYPE_CHECKING, Any

from widget_server.domain.webhooks import EVENT_OF_UPDATE
from widget_server.services.webhooks.outbox import Event

if TYPE_CHECKING:
    from widget_server.services.live.call import LiveCall


def events_of(live: "LiveCall") -> list[Event]:
    events: list[Event] = []
    allowed = live.gate_before
    previous_mark = live.ledger_before
    for update, mark in zip(live.updates, live.ledger_marks, strict=True):
        kind, seq, at = update["kind"], update["seq"], update["created_at"]
        data: dict[str, Any] = {"call_id": live.id, "seq": seq}
        pid = update["participant_id"]
        snapshot = update["snapshot"]
        if pid is not None:
            data["participant_id"] = pid
        if kind == "joined":
            person = snapshot["participant"]
            data.update(channel=person["channel"], state=person["state"])
        elif kind == "decision":
            data.update(ledger_seq=mark, state=snapshot["participant"]["state"], choices={
                e["purpose"]: e["state"] for e in live.events
                if e["participant_id"] == pid and previous_mark < e["seq"] <= mark})
        elif kind == "erased":
            data["ledger_seq"] = mark
        elif kind == "notice_changed":
            notice = snapshot["notice"]
            data.update(notice={k: notice[k] for k in ("id", "version", "content_hash")},
                        asked_again=notice["asked_again"], dropped=notice["dropped"])
        event_type = EVENT_OF_UPDATE.get(kind)
        if event_type is not None:
            events.append(Event(event_type, at, data))
        gate = snapshot["gate"]
        if gate["recording_allowed"] != allowed:
            allowed = gate["recording_allowed"]
            events.append(Event("gate.changed", at, {
                "call_id": live.id, "seq": seq, "recording_allowed": allowed,
                "blocking": gate["blocking"]}))
        previous_mark = mark
    return events
