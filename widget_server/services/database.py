"""Engine and sessions, with the durability settings of DESIGN §2 (Durability)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool, StaticPool

from widget_server.services.scrub import Scrubber

# Set on the read-only sessions' connections so SQLite starts them DEFERRED: readers in WAL
# mode never wait for the writer, while writers take the lock up front (BEGIN IMMEDIATE)
# instead of failing half-way on a lock upgrade.
_READ_ONLY = "widget_read_only"
# Set in session.info by a use case that erases personal data (scrub_after_commit).
_ERASES = "widget_erases"


def scrub_after_commit(session: Session) -> None:
    """Say that this session's transaction erases personal data (withdrawal, objection, a
    dropped purpose, retention, erasure on request). Once it commits, the erased values are
    taken off the disk within a second or so (services/scrub.py); if it rolls back, nothing
    happens. Every erasing use case calls this; the others never do, so they cost nothing."""
    session.info[_ERASES] = True


def make_engine(url: str, *, single: bool = False, unpooled: bool = False) -> Engine:
    """An engine with the durability settings. `single`: one connection, no pool locks, for
    the live committer, whose SQLite work runs in an OS thread outside the event loop (the
    pool's locks are green under eventlet and must not be waited on from such a thread)."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url, StaticPool if single else NullPool if unpooled else None)
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _sqlite_engine(url: str, poolclass: Any = None) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                           **({"poolclass": poolclass} if poolclass else {}))

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control from the sqlite3 module so BEGIN is ours to write.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=FULL",
            "foreign_keys=ON",
            "busy_timeout=30000",
            "secure_delete=ON",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        read_only = conn.get_execution_options().get(_READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


class Database:
    """Holds the engine and hands out one session per use case."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._writer = sessionmaker(self.engine, expire_on_commit=False)
        self._reader = sessionmaker(
            self.engine.execution_options(**{_READ_ONLY: True}), expire_on_commit=False
        )
        # The live write path's own connection on SQLite (see make_engine); on PostgreSQL the
        # pool is shared, as psycogreen makes its waits yield instead of blocking.
        self.is_sqlite = url.startswith("sqlite")
        self._live_engine = make_engine(url, single=True) if self.is_sqlite else self.engine
        self._live = sessionmaker(self._live_engine, expire_on_commit=False)
        self._off_loop: Engine | None = None
        self.scrubber = Scrubber(path) if (path := _sqlite_file(url)) else None
        for maker in (self._writer, self._live):
            event.listen(maker, "after_commit", self._committed)
            event.listen(maker, "after_rollback", _forget_erasure)

    def _committed(self, session: Session) -> None:
        if session.info.pop(_ERASES, False):
            self.scrub_soon()

    def scrub_soon(self) -> None:
        """Erased values wait to leave the disk: the server's scrub task removes them
        (SQLite; nothing to do on PostgreSQL). Safe to call from any thread."""
        if self.scrubber is not None:
            self.scrubber.request()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for a use case that writes; the service commits, anything else rolls back."""
        with self._writer() as session:
            yield session

    @contextmanager
    def live_session(self) -> Iterator[Session]:
        """A session for the live committer only (one at a time)."""
        with self._live() as session:
            yield session

    def off_loop_engine(self) -> Engine:
        """An engine for one-off checks run outside the event loop (/readyz): unpooled on
        SQLite, so that no green pool lock is taken from an OS thread."""
        if not self.is_sqlite:
            return self.engine
        if self._off_loop is None:
            self._off_loop = make_engine(self.url, unpooled=True)
        return self._off_loop

    def warm_live(self) -> None:
        """Open the live connection now, on the calling thread (first connects take locks)."""
        with self._live_engine.connect():
            pass

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        with self._reader() as session:
            yield session

    def dispose(self) -> None:
        """Close every connection; a process that erased something and had no scrub task
        running (a one-off command) takes the erased values off the disk first."""
        if self.scrubber is not None and self.scrubber.pending:
            self.scrubber.scrub_until_done()
        self.engine.dispose()
        if self._live_engine is not self.engine:
            self._live_engine.dispose()
        if self._off_loop is not None:
            self._off_loop.dispose()


def _forget_erasure(session: Session) -> None:
    session.info.pop(_ERASES, None)


def _sqlite_file(url: str) -> str | None:
    """The path of a SQLite database file; None for PostgreSQL and in-memory databases."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return None
    name = parsed.database
    return name if name and name != ":memory:" and not name.startswith("file:") else None
