"""Notice versions as the live path uses them: parsed once per process, rendered once per
language. Versions are immutable, so a process may keep them."""

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from widget_server.domain.errors import NotFound
from widget_server.domain.minimisation import fields_at_join, grant_fields
from widget_server.domain.models import Call, NoticeVersion
from widget_server.domain.notice import Purpose, purposes_of, render

MAX_CACHED = 512


@dataclass
class NoticeInfo:
    version: int
    content_hash: str
    content: dict[str, Any]
    purposes: list[Purpose]
    by_key: dict[str, Purpose]
    join_fields: list[str]
    version_id: int = 0  # its row's id (part of the cache key, so true in any database)
    rendered: dict[str, dict[str, Any]] = field(default_factory=dict)

    def render(self, language: str) -> dict[str, Any]:
        """The notice in one language, with what each grant would ask for: the widget is told
        these facts rather than deriving the rules itself."""
        if language not in self.rendered:
            shown = render(self.content, language)
            for purpose in shown["purposes"]:
                purpose["grant_fields"] = sorted(
                    grant_fields(self.by_key[purpose["key"]], self.purposes))
            shown["content_hash"] = self.content_hash
            shown["version"] = self.version
            self.rendered[language] = shown
        return self.rendered[language]


# Keyed by content hash as well as id: an id alone is only unique within one database, and a
# database can be replaced under a process (tests do).
_cache: OrderedDict[tuple[str, int], NoticeInfo] = OrderedDict()


def notice_info(session: Session, version_id: int, content_hash: str | None = None
                ) -> NoticeInfo:
    """The parsed notice version; read from the database once per process."""
    key = (str(content_hash), version_id)
    info = _cache.get(key)
    if info is None:
        version = session.get(NoticeVersion, version_id)
        assert version is not None  # a foreign key guarantees it
        purposes = purposes_of(version.content)
        info = NoticeInfo(version.version, version.content_hash, version.content, purposes,
                          {p.key: p for p in purposes}, sorted(fields_at_join(purposes)),
                          version.id)
        if content_hash is not None:
            _cache[key] = info
            if len(_cache) > MAX_CACHED:
                _cache.popitem(last=False)
    return info


def notice_version(session: Session, notice_id: str, number: int) -> NoticeInfo | None:
    """Version `number` of a notice, or None if it has no such version."""
    row = session.execute(select(NoticeVersion.id, NoticeVersion.content_hash).where(
        NoticeVersion.notice_id == notice_id, NoticeVersion.version == number)).first()
    return None if row is None else notice_info(session, row[0], row[1])


def notice_of_call(session: Session, call_id: str) -> NoticeInfo:
    """The notice version a call is pinned to."""
    row = session.execute(select(NoticeVersion.id, NoticeVersion.content_hash)
                          .join(Call, Call.notice_version_id == NoticeVersion.id)
                          .where(Call.id == call_id)).first()
    if row is None:
        raise NotFound(f"No call {call_id}.")
    return notice_info(session, row[0], row[1])
