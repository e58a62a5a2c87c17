"""Calls: opened against one notice version, ended once; and the tokens that reach them."""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from widget_server.domain import tokens
from widget_server.domain.errors import NotFound, ValidationFailed
from widget_server.domain.ids import new_id, utcnow
from widget_server.domain.ledger import GENESIS
from widget_server.domain.models import Call, Notice, NoticeVersion, Organisation
from widget_server.domain.signing import KeyRing
from widget_server.services import checkpoints, live
from widget_server.services.roster import gate, summary


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


def end_call(session: Session, organisation_id: str, call_id: str, ring: KeyRing
             ) -> tuple[dict[str, Any], live.Applied]:
    """End the call through the live write path: nobody can join or decide any more, everyone
    leaves, retention starts; then sign the final checkpoint of its ledger, in a transaction of
    its own (never inside the live one). Ending an ended call changes nothing. Returns the
    call and what was applied (the host update and the end, to announce after the commit)."""
    _own_call(session, organisation_id, call_id)
    _, applied = live.apply_one(session, live.EndCall(call_id))
    if applied.ended:
        try:
            checkpoints.sign_head(session, ring, call_id)
        except SQLAlchemyError:
            # The call has ended all the same; the server's checkpoint pass signs it shortly.
            session.rollback()
    return get_call(session, organisation_id, call_id), applied


def change_notice(session: Session, organisation_id: str, call_id: str, version: int,
                  notice_id: str | None = None) -> tuple[dict[str, Any], live.Applied]:
    """Move an open call to a later version of its own notice, through the live write path
    (services/live/notice_change.py). Commits once. Returns the call and what was applied
    (the hosts' update and the participants' notice_changed, to announce after the commit)."""
    _own_call(session, organisation_id, call_id)
    _, applied = live.apply_one(session, live.ChangeNotice(call_id, version, notice_id))
    return get_call(session, organisation_id, call_id), applied


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


def ended_at(session: Session, call_id: str) -> datetime | None:
    """When the call ended (None while open); NotFound if there is no such call."""
    row = session.execute(select(Call.ended_at).where(Call.id == call_id)).first()
    if row is None:
        raise NotFound("The call of this token does not exist.")
    return row[0]


def issue_tokens(secret_key: str, call_id: str) -> dict[str, str]:
    """Fresh widget and host tokens for a call (the demo prints them again on each start)."""
    return {"widget_token": tokens.issue(secret_key, call_id, tokens.WIDGET),
            "host_token": tokens.issue(secret_key, call_id, tokens.HOST)}


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
            "sealed_at": call.sealed_at, "proof_deleted_at": call.proof_deleted_at,
            "notice": {"id": version.notice_id, "version": version.version,
                       "content_hash": version.content_hash}}
