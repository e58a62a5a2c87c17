"""Publishing notices: immutable versions with content hashes."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from widget_server.domain.errors import NotFound
from widget_server.domain.hashing import sha256_of
from widget_server.domain.ids import new_id, utcnow
from widget_server.domain.models import Notice, NoticeVersion
from widget_server.domain.notice import validate_notice


def publish_notice(
    session: Session, organisation_id: str, content: dict[str, Any]
) -> dict[str, Any]:
    """Publish version 1 of a new notice. Validates every domain rule first; commits once."""
    validate_notice(content)
    now = utcnow()
    notice = Notice(id=new_id("ntc"), organisation_id=organisation_id, latest_version=1,
                    created_at=now)
    session.add(notice)
    session.flush()
    version = _add_version(session, notice, content, 1)
    session.commit()
    return notice_view(notice, version)


def publish_version(
    session: Session, organisation_id: str, notice_id: str, content: dict[str, Any]
) -> dict[str, Any]:
    """Publish the next version of a notice; earlier versions stay as they were. Commits once."""
    validate_notice(content)
    notice = _own_notice(session, organisation_id, notice_id, for_update=True)
    notice.latest_version += 1
    version = _add_version(session, notice, content, notice.latest_version)
    session.commit()
    return notice_view(notice, version)


def get_notice(
    session: Session, organisation_id: str, notice_id: str, version: int | None = None
) -> dict[str, Any]:
    notice = _own_notice(session, organisation_id, notice_id)
    wanted = version or notice.latest_version
    row = session.scalar(select(NoticeVersion).where(
        NoticeVersion.notice_id == notice.id, NoticeVersion.version == wanted))
    if row is None:
        raise NotFound(f"Notice {notice_id} has no version {wanted}.")
    return notice_view(notice, row)


def list_notices(session: Session, organisation_id: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Notice, NoticeVersion)
        .join(NoticeVersion, (NoticeVersion.notice_id == Notice.id)
              & (NoticeVersion.version == Notice.latest_version))
        .where(Notice.organisation_id == organisation_id)
        .order_by(Notice.created_at)
    ).all()
    return [notice_view(notice, version) for notice, version in rows]


def notice_view(notice: Notice, version: NoticeVersion) -> dict[str, Any]:
    return {**version.content, "id": notice.id, "version": version.version,
            "content_hash": version.content_hash, "created_at": version.created_at}


def _own_notice(
    session: Session, organisation_id: str, notice_id: str, for_update: bool = False
) -> Notice:
    query = select(Notice).where(Notice.id == notice_id,
                                 Notice.organisation_id == organisation_id)
    notice = session.scalar(query.with_for_update() if for_update else query)
    if notice is None:
        raise NotFound(f"No notice {notice_id}.")
    return notice


def _add_version(
    session: Session, notice: Notice, content: dict[str, Any], number: int
) -> NoticeVersion:
    version = NoticeVersion(notice_id=notice.id, version=number, content=content,
                            content_hash=sha256_of(content), created_at=utcnow())
    session.add(version)
    return version
