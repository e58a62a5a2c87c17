"""Storage models (SQLAlchemy 2, typed).

Personal data lives only in the three data fields of `Participant`.
"""

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: SQLite keeps no zone, PostgreSQL would convert it."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[str]: JSON}


class Organisation(Base):
    __tablename__ = "organisation"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    origins: Mapped[list[str]]
    created_at: Mapped[datetime]
    # Days a sealed call's pseudonymous proof (ledger, receipts, checkpoints) is kept before
    # it is deleted, leaving only a closing signed checkpoint (CONTRACT §C, Sealing).
    proof_retention_days: Mapped[int] = mapped_column(Integer, default=1095,
                                                      server_default="1095")


class ApiKey(Base):
    __tablename__ = "api_key"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    # The prefix finds the row; only a hash of the secret is kept, compared in constant time.
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]


class Notice(Base):
    __tablename__ = "notice"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    latest_version: Mapped[int]
    created_at: Mapped[datetime]


class NoticeVersion(Base):
    """Immutable once written: a change to a notice is a new version."""

    __tablename__ = "notice_version"
    __table_args__ = (UniqueConstraint("notice_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notice_id: Mapped[str] = mapped_column(ForeignKey("notice.id"))
    version: Mapped[int]
    content: Mapped[dict[str, Any]]
    content_hash: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]


class Call(Base):
    __tablename__ = "call"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    notice_version_id: Mapped[int] = mapped_column(ForeignKey("notice_version.id"))
    title: Mapped[str] = mapped_column(String(300))
    external_ref: Mapped[str | None] = mapped_column(String(200))
    starts_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(10))  # open | ended
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None] = mapped_column(index=True)
    # Heads of the two per-call sequences, updated in the writing transaction so that on
    # PostgreSQL the row lock serialises writers of one call and keeps both sequences gap-free.
    ledger_seq: Mapped[int] = mapped_column(default=0)
    ledger_head: Mapped[str] = mapped_column(String(80))
    update_seq: Mapped[int] = mapped_column(default=0)
    participant_count: Mapped[int] = mapped_column(default=0)
    # Derived counters for the gate, kept in step with participants in the same transactions.
    present_count: Mapped[int] = mapped_column(default=0)
    blocking_count: Mapped[int] = mapped_column(default=0)
    # Which personal fields retention has already erased (so a second purge finds nothing).
    purged_fields: Mapped[list[str]] = mapped_column(default=list)
    retention_done: Mapped[bool] = mapped_column(Boolean, default=False)
    # When every purpose's retention had passed and the call was sealed (title, external_ref
    # and host updates gone; services/sealing.py), and when its proof was deleted after the
    # organisation's proof_retention_days, leaving only the closing checkpoint.
    sealed_at: Mapped[datetime | None]
    proof_deleted_at: Mapped[datetime | None]


class Participant(Base):
    __tablename__ = "participant"
    __table_args__ = (
        UniqueConstraint("call_id", "number"),
        Index("ix_participant_presence", "call_id", "present", "gate_ok"),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("call.id"))
    number: Mapped[int]  # for the pseudonym "Participant 7"
    # Personal data: each held only while a purpose of the notice needs it.
    display_name: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(10))
    # The participant's id in the meeting platform (the snippet's data-participant-ref), so
    # that a processing pipeline can tell speakers apart; an identifier, blanked at sealing.
    ref: Mapped[str | None] = mapped_column(String(128))
    resume_hash: Mapped[str] = mapped_column(String(80))
    connections: Mapped[int] = mapped_column(default=0)
    present: Mapped[bool] = mapped_column(Boolean, default=False)
    gate_ok: Mapped[bool] = mapped_column(Boolean, default=False)
    # Since when this participant has been holding recording up (present and not letting it
    # run); None when not blocking. Shown to hosts, who may otherwise wait without knowing.
    blocking_since: Mapped[datetime | None]
    joined_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # The serving process holding this participant's connection (its lease id), set at each
    # join: when that process dies, another marks the participant left (services/leases.py).
    process: Mapped[str | None] = mapped_column(String(40), index=True)


class ProcessLease(Base):
    """A serving process's presence lease: it is alive while it keeps `heartbeat_at` fresh.
    A lease older than services/leases.py's LEASE_SECONDS belongs to a dead process."""

    __tablename__ = "process_lease"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]


class PurposeState(Base):
    """Current state of one participant × purpose, derived from the ledger for fast reads."""

    __tablename__ = "purpose_state"
    participant_id: Mapped[str] = mapped_column(ForeignKey("participant.id"), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))


class StateCount(Base):
    """How many participants of a call are in each state of each purpose (the summary)."""

    __tablename__ = "state_count"
    call_id: Mapped[str] = mapped_column(ForeignKey("call.id"), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class DecisionEvent(Base):
    """The append-only ledger: one row per choice, pseudonymous, hash-chained per call."""

    __tablename__ = "decision_event"
    __table_args__ = (UniqueConstraint("call_id", "seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("call.id"))
    seq: Mapped[int]
    event_id: Mapped[str] = mapped_column(String(64))
    participant_id: Mapped[str] = mapped_column(String(40))
    # None for events that are not a choice of one purpose (notice_served).
    purpose: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    notice_version: Mapped[int]
    notice_hash: Mapped[str] = mapped_column(String(80))
    language: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(10))
    recorded_at: Mapped[datetime]
    prev_hash: Mapped[str] = mapped_column(String(80))
    hash: Mapped[str] = mapped_column(String(80))


class Receipt(Base):
    """The answer to one `decide` event, kept so a retry of its event_id gets the same answer."""

    __tablename__ = "receipt"
    __table_args__ = (UniqueConstraint("participant_id", "event_id"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participant.id"))
    event_id: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(80))
    state: Mapped[dict[str, Any]]


class Checkpoint(Base):
    """A signed ledger head of one call (CONTRACT §B): a chain rewritten consistently from the
    database no longer matches it. `jws` is the proof; the other columns index it."""

    __tablename__ = "checkpoint"
    __table_args__ = (Index("ix_checkpoint_call_seq", "call_id", "seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("call.id"))
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(80))
    # Signed once the call had ended: an ended call must have one.
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    # The closing checkpoint, signed when the proof was deleted: it alone stays, covering the
    # head and how many events the deleted ledger held.
    closing: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    events: Mapped[int | None]
    signed_at: Mapped[datetime]
    kid: Mapped[str] = mapped_column(String(64))
    jws: Mapped[str] = mapped_column(Text)


class CallUpdate(Base):
    """Every host-visible change of a call, numbered, so a host that missed some can catch up.

    Holds no personal data: the participant's label is rendered when the update is read.
    """

    __tablename__ = "call_update"
    call_id: Mapped[str] = mapped_column(ForeignKey("call.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # "notice_changed" is the longest
    participant_id: Mapped[str | None] = mapped_column(String(40))
    snapshot: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class Grant(Base):
    """A token the client's systems act with, for one call (CONTRACT §D, §E): a processor (a
    recording bot, a transcriber…) for one purpose, or the call's phone bridge (telephony,
    no purpose). Only a digest of its secret is kept; revoking keeps the row (the dashboard
    and the proof of what each processor applied)."""

    __tablename__ = "processing_grant"  # "grant" is an SQL keyword
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("call.id"), index=True)
    role: Mapped[str] = mapped_column(String(12))  # processor | telephony
    purpose: Mapped[str | None] = mapped_column(String(64))  # None for telephony
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    # The last plan the processor confirmed it follows, when, and how long after the change
    # that made that plan (its host update's created_at).
    last_applied_seq: Mapped[int | None]
    applied_at: Mapped[datetime | None]
    applied_delay_ms: Mapped[int | None]


class WebhookEndpoint(Base):
    """Where an organisation wants its events POSTed (CONTRACT §D). The secret signs every
    delivery, so it is kept as issued (like the signing key's job, it cannot be a hash); it is
    shown once, at registration, and never logged."""

    __tablename__ = "webhook_endpoint"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisation.id"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(String(500))
    events: Mapped[list[str]]
    secret: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]


class WebhookDelivery(Base):
    """The outbox: one row per event and endpoint, written in the transaction of the change,
    then its delivery log. `id` orders a call's deliveries (its `stream`); `message_id` is the
    `webhook-id` of every attempt. Pseudonymous, like the ledger."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("ix_webhook_delivery_stream", "endpoint_id", "stream", "status", "id"),
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(40), unique=True)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoint.id"))
    # The call the event is about (None for none); deliveries of one stream go in order.
    call_id: Mapped[str | None] = mapped_column(String(40))
    stream: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)  # the exact JSON sent (and signed)
    created_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10))  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(default=0)
    last_status: Mapped[int | None]  # the receiver's HTTP status, None when none came
    last_error: Mapped[str | None] = mapped_column(String(200))
    last_attempt_at: Mapped[datetime | None]
    first_attempt_at: Mapped[datetime | None]
    # After this, a failed attempt is the last one (24 h after the first; a manual retry
    # makes it now: one attempt).
    give_up_at: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    # A process sending this row holds it until then (several processes never send one row
    # twice; a process that died lets it go when the lease runs out).
    lease_until: Mapped[datetime | None]


def table(model: type[Base]) -> Table:
    """A model's table, typed for Core statements (bulk writes on hot paths)."""
    return cast(Table, model.__table__)
