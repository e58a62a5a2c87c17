"""Helpers for service tests: each use case runs in its own session, as the edges run them.

The edges open one session per use case and never keep ORM objects between events; so do these
helpers, so that a test cannot pass only because a session still remembers something.
"""

import copy
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from tests.conftest import SECRET, lecture_notice
from widget_server.domain import tokens
from widget_server.domain.ids import utcnow
from widget_server.domain.models import Base, DecisionEvent, Participant, PurposeState
from widget_server.domain.signing import KeyRing
from widget_server.services import (
    calls,
    checkpoints,
    ledger,
    live,
    notices,
    organisations,
    retention,
    roster,
)
from widget_server.services.database import Database
from widget_server.services.live.notices import notice_of_call
from widget_server.services.live.presence import away_commands
from widget_server.sockets import payloads

# Canary values: unusual enough that finding their bytes anywhere means they were stored there.
CANARY_NAME = "Zebulon Quincewhistle"
CANARY_EMAIL = "canary.zq@example.org"


def consent_name_notice() -> dict[str, Any]:
    """A notice whose only purpose needing a display name is a consent one (so a name is asked
    only with that grant), plus a contract purpose needing nothing."""
    return {
        "name": "Webinar",
        "controller": {"name": "Example Org", "contact_email": "dpo@example.org"},
        "default_language": "en",
        "purposes": [
            {"key": "recording", "lawful_basis": "consent", "gates_recording": True,
             "data": ["display_name"], "retention_days": 30,
             "text": {"en": {"title": "Record me by name", "description": "With your name."}}},
            {"key": "service", "lawful_basis": "contract", "data": [], "retention_days": 30,
             "text": {"en": {"title": "Running the call", "description": "Needed to run it."}}},
        ],
    }


def new_event_id() -> str:
    return str(uuid.uuid4())


class World:
    """A database and the use cases over it, one fresh session per call."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.ring = KeyRing.generate()  # the server's signing key

    # organisations, notices, calls ------------------------------------------------------
    def organisation(self, name: str = "Example University",
                     origins: tuple[str, ...] = ("https://lectures.example.edu",)
                     ) -> tuple[str, str]:
        with self.db.session() as s:
            return organisations.create_organisation(s, name, list(origins))

    def publish(self, org_id: str, content: dict[str, Any] | None = None) -> dict[str, Any]:
        with self.db.session() as s:
            return notices.publish_notice(s, org_id, copy.deepcopy(content or lecture_notice()))

    def publish_version(self, org_id: str, notice_id: str, content: dict[str, Any]
                        ) -> dict[str, Any]:
        with self.db.session() as s:
            return notices.publish_version(s, org_id, notice_id, copy.deepcopy(content))

    def get_notice(self, org_id: str, notice_id: str, version: int | None = None
                   ) -> dict[str, Any]:
        with self.db.read_session() as s:
            return notices.get_notice(s, org_id, notice_id, version)

    def open_call(self, org_id: str, notice_id: str, title: str = "Lecture 1") -> dict[str, Any]:
        with self.db.session() as s:
            return calls.open_call(s, org_id, SECRET, title=title, notice_id=notice_id)

    def end_call(self, org_id: str, call_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            call, applied = calls.end_call(s, org_id, call_id, self.ring)
        updates = applied.updates.get(call_id, [])
        return {"call": call, "update": updates[-1] if updates else None}

    def get_call(self, org_id: str, call_id: str) -> dict[str, Any]:
        with self.db.read_session() as s:
            return calls.get_call(s, org_id, call_id)

    def admit(self, token: object, role: str, now: Any = None, key: str = SECRET) -> str:
        """As the socket edge admits a connection: the token's call, in its role, alive."""
        claim = tokens.read(key, token, role)
        with self.db.read_session() as s:
            tokens.check_life(role, calls.ended_at(s, claim.call_id), now or utcnow())
        return claim.call_id

    # participants ----------------------------------------------------------------------
    def join(self, call_id: str, fields: Any = None, language: str | None = None,
             resume: str | None = None, channel: str = "widget", seen: Any = None,
             ref: Any = None) -> dict[str, Any]:
        """As the widget joins: the payload checked at the edge, then the live write path.
        `seen` defaults to the call's current notice hash (what the widget was shown)."""
        with self.db.session() as s:
            if seen is None:
                seen = {"notice_hash": notice_of_call(s, call_id).content_hash}
            data = {"fields": fields, "language": language, "seen": seen}
            if ref is not None:
                data["ref"] = ref
            return self.run(s, payloads.join_command(call_id, resume, data, channel))

    def leave(self, call_id: str, participant_id: str) -> dict[str, Any] | None:
        with self.db.session() as s:
            update: dict[str, Any] | None = self.run(
                s, live.Leave(call_id, participant_id))["update"]
            return update

    def reset_presence(self) -> int:
        with self.db.session() as s:
            commands = away_commands(s)
            live.apply(s, commands)
            return len(commands)

    def decide(self, call_id: str, participant_id: str, choices: Any, fields: Any = None,
               event_id: Any = None, channel: str = "widget", seen: Any = None
               ) -> dict[str, Any]:
        data = {"event_id": event_id or new_event_id(), "choices": choices, "fields": fields,
                "seen": seen}
        with self.db.session() as s:
            return self.run(s, payloads.decide_command(call_id, participant_id, data, channel))

    @staticmethod
    def run(session: Any, command: live.Command) -> dict[str, Any]:
        """One command through live.apply_one; the outcome with its host update (or None)."""
        outcome, applied = live.apply_one(session, command)
        updates = applied.updates.get(command.call_id, [])
        return {**outcome, "update": updates[-1] if updates else None}

    # reads -----------------------------------------------------------------------------
    def roster(self, call_id: str) -> dict[str, Any]:
        with self.db.read_session() as s:
            return roster.roster(s, call_id)

    def call_gate(self, call_id: str) -> dict[str, Any]:
        with self.db.read_session() as s:
            return roster.call_gate(s, call_id)

    def updates_since(self, call_id: str, since: int) -> dict[str, Any]:
        with self.db.read_session() as s:
            return roster.updates_since(s, call_id, since)

    def verify(self, call_id: str | None = None) -> ledger.Verdict:
        """As verify-ledger checks: the chains and the signed checkpoints."""
        with self.db.read_session() as s:
            return ledger.verify(s, call_id, self.ring.public_keys())

    def sign_checkpoints(self, now: Any = None) -> int:
        """The server's periodic checkpoint pass."""
        with self.db.session() as s:
            return checkpoints.sign_changed(s, self.ring, now)

    def decisions_page(self, call_id: str, after: int = 0, limit: int = 1000
                       ) -> dict[str, Any]:
        with self.db.read_session() as s:
            return ledger.decisions_page(s, call_id, after, limit)

    def purge(self, now: Any) -> retention.PurgeReport:
        with self.db.session() as s:
            return retention.purge(s, now=now)

    def participant(self, participant_id: str) -> Participant:
        with self.db.read_session() as s:
            row = s.get(Participant, participant_id)
            assert row is not None
            return row

    def states(self, participant_id: str) -> dict[str, str]:
        with self.db.read_session() as s:
            return dict(s.execute(select(PurposeState.purpose, PurposeState.state)
                                  .where(PurposeState.participant_id == participant_id)).all())

    def events(self, call_id: str) -> list[DecisionEvent]:
        """The ledger of one call in insertion order (not trusting seq)."""
        with self.db.read_session() as s:
            return list(s.scalars(select(DecisionEvent).where(DecisionEvent.call_id == call_id)
                                  .order_by(DecisionEvent.id)))

    def count(self, model: Any) -> int:
        with self.db.read_session() as s:
            return int(s.scalar(select(func.count()).select_from(model)) or 0)

    def footprint(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table: equal before and after means nothing was stored."""
        with self.db.read_session() as s:
            return {table.name: [tuple(r) for r in s.execute(
                        select(table).order_by(*table.primary_key.columns)).all()]
                    for table in Base.metadata.sorted_tables}

    def sql(self, statement: str, **params: Any) -> None:
        """Raw SQL, as someone with access to the database file would tamper with it."""
        with self.db.engine.begin() as conn:
            conn.execute(text(statement), params)


class Lecture:
    """An organisation, the contract's lecture notice and one open call."""

    def __init__(self, world: World, content: dict[str, Any] | None = None) -> None:
        self.world = world
        self.org_id, self.api_key = world.organisation()
        self.notice = world.publish(self.org_id, content)
        call = world.open_call(self.org_id, self.notice["id"])
        self.call_id: str = call["id"]
        self.widget_token: str = call["widget_token"]
        self.host_token: str = call["host_token"]

    def join(self, name: str | None = "Ada Lovelace", **kw: Any) -> str:
        """A new participant, present; returns their id."""
        fields = kw.pop("fields", {"display_name": name} if name is not None else {})
        return str(self.world.join(self.call_id, fields, **kw)["participant"]["id"])

    def decide(self, participant_id: str, choices: Any, **kw: Any) -> dict[str, Any]:
        return self.world.decide(self.call_id, participant_id, choices, **kw)

    def leave(self, participant_id: str) -> dict[str, Any] | None:
        return self.world.leave(self.call_id, participant_id)

    def end(self) -> dict[str, Any]:
        return self.world.end_call(self.org_id, self.call_id)

    def gate(self) -> dict[str, Any]:
        return self.world.call_gate(self.call_id)

    def roster(self) -> dict[str, Any]:
        return self.world.roster(self.call_id)

    def labels(self) -> dict[str, str]:
        return {p["id"]: p["label"] for p in self.roster()["participants"]}


def sqlite_file_database(folder: Path, name: str = "bytes.db") -> tuple[Database, Path]:
    """A SQLite file database of its own, whatever backend the suite runs on."""
    path = folder / name
    database = Database(f"sqlite:///{path}")
    Base.metadata.create_all(database.engine)
    return database, path
