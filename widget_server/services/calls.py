"""Calls: opened against one notice version, ended once; and the tokens that reach them."""

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from widget_server.domain import tokens
from widget_server.domain.errors import NotFound, ValidationFailed
from widget_server.domain.hashing import GENESIS
from widget_server.domain.ids import new_id, utcnow
from widget_server.domain.models import Call, Notice, NoticeVersion, Organisation, Participant
from widget_server.services.call_state import gate, lock_call, record_update, summary


def open_call(
    session: Session, organisation_id: str, secret_key: str, *, title: str, notice_id: str,
    external_ref: str | None = None, starts_at: datetime | None = None,
) -> dict[str, Any]:
    """Open a call pinned to the notice's latest version, with its widget and host tokens.

    Commits once.
    """
    notice = session.scalar(select(Notice).where(
        Notice.id == notice_id, Notice.organisation_id == organisation_id))
    if notice is None:
        raise ValidationFailed(f"No notice {notice_id}.",
                               fields={"notice_id": [f"No notice {notice_id}."]})
    version = session.scalar(select(NoticeVersion).where(
        NoticeVersion.notice_id == notice.id, NoticeVersion.version == notice.latest_version))
    assert version is not None
    call = Call(id=new_id("call"), organisation_id=organisation_id,
                notice_version_id=version.id, title=title, external_ref=external_ref,
                starts_at=starts_at, status="open", created_at=utcnow(), ledger_seq=0,
                ledger_head=GENESIS, update_seq=0, participant_count=0, present_count=0,
                blocking_count=0, purged_fields=[],
                retention_done=False)
    session.add(call)
    session.commit()
    view = _call_view(call, version)
    view["widget_token"] = tokens.issue(secret_key, call.id, tokens.WIDGET)
    view["host_token"] = tokens.issue(secret_key, call.id, tokens.HOST)
    return view


def end_call(session: Session, organisation_id: str, call_id: str) -> dict[str, Any]:
    """End the call: nobody can join or decide any more, everyone leaves, retention starts.

    Commits once; ending an ended call changes nothing. Returns the call and, when it was
    open until now, the host update to send (else None under "update").
    """
    _own_call(session, organisation_id, call_id)
    call = lock_call(session, call_id)
    if call.status == "ended":
        session.rollback()
        return {"call": get_call(session, organisation_id, call_id), "update": None}
    now = utcnow()
    call.status, call.ended_at = "ended", now
    session.execute(update(Participant).where(Participant.call_id == call.id)
                    .values(present=False, connections=0))
    call.present_count = call.blocking_count = 0
    event = record_update(session, call, "call_ended", None, None, now)
    session.commit()
    return {"call": get_call(session, organisation_id, call_id), "update": event}


def get_call(session: Session, organisation_id: str, call_id: str) -> dict[str, Any]:
    call = _own_call(session, organisation_id, call_id)
    view = _call_view(call, _version(session, call))
    view["summary"], view["gate"] = summary(session, call), gate(call)
    return view


def list_calls(session: Session, organisation_id: str, status: str | None = None
               ) -> list[dict[str, Any]]:
    query = select(Call, NoticeVersion).join(NoticeVersion).where(
        Call.organisation_id == organisation_id).order_by(Call.created_at.desc())
    if status:
        query = query.where(Call.status == status)
    return [_call_view(call, version) for call, version in session.execute(query).all()]


def issue_tokens(secret_key: str, call_id: str) -> dict[str, str]:
    return {"widget_token": tokens.issue(secret_key, call_id, tokens.WIDGET),
            "host_token": tokens.issue(secret_key, call_id, tokens.HOST)}


def admit(session: Session, secret_key: str, token: object, role: str,
          now: datetime | None = None) -> str:
    """The call a token admits its holder to, in its role; raises a coded error otherwise."""
    claim = tokens.read(secret_key, token, role)
    tokens.check_life(role, ended_at(session, claim.call_id), now or utcnow())
    return claim.call_id


def ended_at(session: Session, call_id: str) -> datetime | None:
    """When the call ended (None while open); NotFound if there is no such call."""
    row = session.execute(select(Call.ended_at).where(Call.id == call_id)).first()
    if row is None:
        raise NotFound("The call of this token does not exist.")
    return row[0]


def organisation_of(session: Session, call_id: str) -> str:
    """The organisation a call belongs to (it never changes); NotFound if there is no call."""
    owner = session.scalar(select(Call.organisation_id).where(Call.id == call_id))
    if owner is None:
        raise NotFound(f"No call {call_id}.")
    return str(owner)


def embed_origins(session: Session, call_id: str) -> list[str]:
    """The origins allowed to frame this call's widget (its organisation's)."""
    origins = session.scalar(
        select(Organisation.origins).join(Call, Call.organisation_id == Organisation.id)
        .where(Call.id == call_id))
    if origins is None:
        raise NotFound(f"No call {call_id}.")
    return list(origins)


def host_view(session: Session, call_id: str) -> dict[str, Any]:
    """The call as its hosts see it (no tokens)."""
    call = session.get(Call, call_id)
    if call is None:
        raise NotFound(f"No call {call_id}.")
    return _call_view(call, _version(session, call))


def _own_call(session: Session, organisation_id: str, call_id: str) -> Call:
    call = session.scalar(select(Call).where(
        Call.id == call_id, Call.organisation_id == organisation_id))
    if call is None:
        raise NotFound(f"No call {call_id}.")
    return call


def _version(session: Session, call: Call) -> NoticeVersion:
    version = session.get(NoticeVersion, call.notice_version_id)
    assert version is not None
    return version


def _call_view(call: Call, version: NoticeVersion) -> dict[str, Any]:
    return {"id": call.id, "title": call.title, "status": call.status,
            "external_ref": call.external_ref, "starts_at": call.starts_at,
            "created_at": call.created_at, "ended_at": call.ended_at,
            "notice": {"id": version.notice_id, "version": version.version,
                       "content_hash": version.content_hash}}
