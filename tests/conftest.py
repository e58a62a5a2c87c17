"""Fixtures shared by every layer's tests.

The suite runs on SQLite by default and on PostgreSQL when WIDGET_SERVER_TEST_DATABASE_URL is
set (CI runs it both ways). Each test gets an empty database.
"""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from widget_server.domain.models import Base
from widget_server.services.database import Database

PG_URL = os.environ.get("WIDGET_SERVER_TEST_DATABASE_URL")


@contextmanager
def fresh_database(folder: Path) -> Iterator[str]:
    """An empty database: a SQLite file in `folder`, or a new database on the PostgreSQL
    server when the suite runs against it (dropped afterwards)."""
    if not PG_URL:
        yield f"sqlite:///{folder / 'widget.db'}"
        return
    name = f"ws_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    with fresh_database(tmp_path) as url:
        yield url


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()


SECRET = "test-secret-key-of-enough-length-0123456789"


def lecture_notice() -> dict:
    """The notice of CONTRACT.md: consent (gating, name), consent (email), LI (name), contract."""
    return {
        "name": "Lecture capture",
        "controller": {"name": "Example University", "contact_email": "dpo@example.edu"},
        "privacy_policy_url": "https://example.edu/privacy",
        "default_language": "en",
        "purposes": [
            {"key": "recording", "lawful_basis": "consent", "gates_recording": True,
             "data": ["display_name"], "retention_days": 30,
             "text": {"en": {"title": "Record this session", "description": "Video and audio."},
                      "de": {"title": "Diese Sitzung aufzeichnen", "description": "Bild und Ton."}}},
            {"key": "notes_email", "lawful_basis": "consent", "data": ["email"],
             "retention_days": 7,
             "text": {"en": {"title": "Email me the notes", "description": "A summary."},
                      "de": {"title": "Notizen per E-Mail", "description": "Eine Zusammenfassung."}}},
            {"key": "attendance", "lawful_basis": "legitimate_interests", "data": ["display_name"],
             "retention_days": 365,
             "legitimate_interest": {"en": "Knowing who attended, for course credit.",
                                     "de": "Wissen, wer teilnahm, für Leistungsnachweise."},
             "text": {"en": {"title": "Attendance list", "description": "Who attended."},
                      "de": {"title": "Anwesenheitsliste", "description": "Wer teilnahm."}}},
            {"key": "service", "lawful_basis": "contract", "data": [], "retention_days": 30,
             "text": {"en": {"title": "Running the call", "description": "Needed to run it."},
                      "de": {"title": "Durchführung", "description": "Dafür nötig."}}},
        ],
    }
