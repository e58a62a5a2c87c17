"""The manage link by email (issue 12, item 2): `send_manage_link` through a real SMTP server on
loopback (aiosmtpd), plain, STARTTLS and TLS; the address used to send and kept nowhere."""

import datetime
import ipaddress
import ssl
import uuid
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import Flask

from tests.conftest import PG_URL, SECRET
from tests.e2e.harness import free_port
from tests.sockets.conftest import open_lecture_call
from tests.sockets.test_namespaces import emit, join
from widget_server import create_app
from widget_server.domain.models import Base
from widget_server.realtime import socketio

ADDRESS = "ada.canary-7f3e@example.org"


class Inbox:
    """What the mail server accepted."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 OK"

    def messages(self) -> list[EmailMessage]:
        return [message_from_bytes(bytes(e.content or b""), policy=policy.default)  # type: ignore[misc]
                for e in self.envelopes]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1: (cert file, key file)."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*map(str, certificate))
    return context


LOGINS: list[bool] = []


def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any
                  ) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"widget", b"s3cret")
    LOGINS.append(ok)
    return AuthResult(success=ok)


@pytest.fixture
def smtp(request: pytest.FixtureRequest, certificate: tuple[Path, Path]
         ) -> Iterator[tuple[Inbox, str]]:
    """A mail server on loopback: (its inbox, the WIDGET_SERVER_SMTP_URL for it)."""
    kind = getattr(request, "param", "plain")
    inbox, port = Inbox(), free_port()
    options: dict[str, Any] = {}
    if kind == "starttls":
        options = {"tls_context": server_tls(certificate), "require_starttls": True}
        url = f"smtp+starttls://127.0.0.1:{port}"
    elif kind == "tls":
        # aiosmtpd offers AUTH under implicit TLS only when told TLS is not required of it
        # (the connection is TLS from its first byte all the same).
        options = {"ssl_context": server_tls(certificate), "authenticator": authenticator,
                   "auth_require_tls": False}
        url = f"smtps://widget:s3cret@127.0.0.1:{port}"
    else:
        url = f"smtp://127.0.0.1:{port}"
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    yield inbox, url
    controller.stop()


def make_app(database_url: str, tmp_path: Path, **config: Any) -> Flask:
    application = create_app({"DATABASE_URL": database_url, "SECRET_KEY": SECRET,
                              "ASYNC_MODE": "threading", "INSTANCE_PATH": str(tmp_path),
                              **config})
    Base.metadata.create_all(application.extensions["widget_db"].engine)
    return application


@pytest.fixture
def mail_app(database_url: str, tmp_path: Path, smtp: tuple[Inbox, str],
             certificate: tuple[Path, Path]) -> Iterator[Flask]:
    application = make_app(database_url, tmp_path, SMTP_URL=smtp[1],
                           SMTP_CA_FILE=str(certificate[0]), SMTP_FROM="Consent <c@example.edu>",
                           PUBLIC_URL="https://consent.example.edu")
    yield application
    application.extensions["widget_committer"].stop()
    application.extensions["widget_db"].dispose()


def joined(app: Flask, language: str = "en") -> tuple[Any, dict[str, Any]]:
    call = open_lecture_call(app)
    client = socketio.test_client(app, namespace="/participant",
                                  auth={"token": call["widget_token"]})
    answer = join(client, {"display_name": "Ada"}, language=language)
    assert answer["ok"], answer
    return client, answer["participant"]


def ask(client: Any, data: Any) -> dict[str, Any]:
    answer: dict[str, Any] = emit(client, "send_manage_link", data)
    return answer


def stored_bytes(tmp_path: Path) -> bytes:
    """Every byte the database holds on disk (SQLite: the file, its WAL and shm), as it is
    (no checkpoint: whatever was ever written is still in the WAL)."""
    return b"".join(p.read_bytes() for p in tmp_path.glob("widget.db*"))


@pytest.mark.parametrize("smtp", ["plain", "starttls", "tls"], indirect=True)
def test_the_link_arrives_in_the_participants_language_and_the_address_is_kept_nowhere(
        mail_app: Flask, smtp: tuple[Inbox, str], tmp_path: Path,
        capfd: pytest.CaptureFixture[str]) -> None:
    inbox, url = smtp
    LOGINS.clear()
    client, person = joined(mail_app, language="de")

    assert ask(client, {"email": ADDRESS}) == {"ok": True, "sent": True}

    [envelope] = inbox.envelopes
    assert envelope.rcpt_tos == [ADDRESS]
    [message] = inbox.messages()
    assert message["To"] == ADDRESS
    assert message["Subject"] == "Ihre Entscheidungen zu „Lecture capture“"
    body = message.get_content()
    link = f"https://consent.example.edu/manage/{person['id']}#key={person['resume']}"
    assert link in body and "?" not in link
    assert "Geben Sie diesen Link nicht weiter" in body
    assert ([True] if url.startswith("smtps://") else []) == LOGINS

    out, err = capfd.readouterr()
    assert ADDRESS not in out + err
    assert person["resume"] not in out + err
    if not PG_URL:
        on_disk = stored_bytes(tmp_path)
        assert b"Ada" in on_disk  # the name the notice needs is there: the search can find
        assert ADDRESS.encode() not in on_disk


def test_english_where_the_widget_has_no_texts_for_the_language(
        mail_app: Flask, smtp: tuple[Inbox, str]) -> None:
    client, _ = joined(mail_app, language="ja")
    assert ask(client, {"email": ADDRESS})["ok"]
    [message] = smtp[0].messages()
    assert message["Subject"] == "Your choices for “Lecture capture”"


@pytest.mark.parametrize(("data", "field"), [
    ({}, "email"),
    ({"email": ""}, "email"),
    ({"email": 42}, "email"),
    ({"email": "not-an-address"}, "email"),
    ({"email": "ada@example.org\r\nBcc: eve@example.org"}, "email"),
    ({"email": "ada@example.org\nSubject: hi"}, "email"),
    ({"email": "ada@example.org\x00"}, "email"),
    ({"email": "a" * 250 + "@example.org"}, "email"),
    ({"email": "ada@example.org, eve@example.org"}, "email"),
])
def test_a_bad_address_is_refused_naming_the_field_and_nothing_is_sent(
        mail_app: Flask, smtp: tuple[Inbox, str], data: dict[str, Any], field: str) -> None:
    client, _ = joined(mail_app)
    answer = ask(client, data)
    assert answer["ok"] is False
    assert answer["error"]["code"] == "validation_failed"
    assert field in answer["error"]["fields"]
    value = data.get("email")
    if isinstance(value, str) and value:
        assert value not in str(answer)  # never echoed back
    assert smtp[0].envelopes == []


def test_not_an_object_is_refused(mail_app: Flask, smtp: tuple[Inbox, str]) -> None:
    client, _ = joined(mail_app)
    answer = ask(client, "ada@example.org")
    assert answer["ok"] is False and answer["error"]["code"] == "validation_failed"
    assert smtp[0].envelopes == []


def test_before_joining_there_is_no_link_to_send(mail_app: Flask, smtp: tuple[Inbox, str]
                                                  ) -> None:
    call = open_lecture_call(mail_app)
    client = socketio.test_client(mail_app, namespace="/participant",
                                  auth={"token": call["widget_token"]})
    answer = ask(client, {"email": ADDRESS})
    assert answer["error"]["code"] == "not_joined"
    assert smtp[0].envelopes == []


def test_a_fourth_link_within_the_hour_is_refused(mail_app: Flask, smtp: tuple[Inbox, str]
                                                  ) -> None:
    client, _ = joined(mail_app)
    for _ in range(3):
        assert ask(client, {"email": ADDRESS})["ok"]
    fourth = ask(client, {"email": ADDRESS})
    assert fourth["ok"] is False and fourth["error"]["code"] == "rate_limited"
    assert len(smtp[0].envelopes) == 3
    # Another participant has a budget of their own.
    other, _ = joined(mail_app)
    assert ask(other, {"email": ADDRESS})["ok"]


def test_a_mail_server_that_is_down_is_a_clear_error_and_uses_no_budget(
        database_url: str, tmp_path: Path) -> None:
    closed = free_port()  # nothing listens there
    app = make_app(database_url, tmp_path, SMTP_URL=f"smtp://127.0.0.1:{closed}",
                   SMTP_TIMEOUT=2.0)
    try:
        client, _ = joined(app)
        for _ in range(4):  # more than the hourly budget: failures do not count
            answer = ask(client, {"email": ADDRESS})
            assert answer["ok"] is False
            assert answer["error"]["code"] == "email_failed"
            assert answer["error"]["fields"]["email"] == ["The mail server could not be reached."]
            assert ADDRESS not in str(answer)
    finally:
        app.extensions["widget_committer"].stop()
        app.extensions["widget_db"].dispose()


@pytest.mark.parametrize("smtp", ["starttls"], indirect=True)
def test_an_untrusted_certificate_is_refused(database_url: str, tmp_path: Path,
                                             smtp: tuple[Inbox, str]) -> None:
    app = make_app(database_url, tmp_path, SMTP_URL=smtp[1])  # no CA file: self-signed fails
    try:
        client, _ = joined(app)
        answer = ask(client, {"email": ADDRESS})
        assert answer["error"]["code"] == "email_failed"
        assert "certificate" in answer["error"]["fields"]["email"][0]
        assert smtp[0].envelopes == []
    finally:
        app.extensions["widget_committer"].stop()
        app.extensions["widget_db"].dispose()


def test_without_a_mail_server_the_link_is_not_offered(database_url: str, tmp_path: Path
                                                       ) -> None:
    app = make_app(database_url, tmp_path)
    try:
        client, _ = joined(app)
        answer = ask(client, {"email": ADDRESS})
        assert answer["error"]["code"] == "email_unavailable"
    finally:
        app.extensions["widget_committer"].stop()
        app.extensions["widget_db"].dispose()


@pytest.mark.parametrize(("url", "says"), [
    ("ftp://127.0.0.1", "must start with one of"),
    ("smtp://", "names no host"),
    ("smtp://user:pw@127.0.0.1:25", "only over TLS"),
])
def test_a_smtp_url_that_cannot_work_stops_the_server_at_start(
        database_url: str, tmp_path: Path, url: str, says: str) -> None:
    with pytest.raises(SystemExit) as stopped:
        make_app(database_url, tmp_path / uuid.uuid4().hex, SMTP_URL=url)
    assert "WIDGET_SERVER_SMTP_URL" in str(stopped.value) and says in str(stopped.value)
