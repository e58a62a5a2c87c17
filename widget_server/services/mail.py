"""Sending email through the operator's SMTP server (WIDGET_SERVER_SMTP_URL).

Three ways to reach it, named by the URL's scheme: `smtp://host:port` (plain, for a relay on the
same host or network), `smtp+starttls://host:port` (STARTTLS required) and `smtps://host:port`
(TLS from the first byte). Credentials (`smtps://user:password@host`) are sent only over TLS.
Certificates are verified against the system's authorities, or WIDGET_SERVER_SMTP_CA_FILE.

An address handed to `send` is used for that message and nowhere else: not stored, not logged.
"""

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from widget_server.domain.errors import MailFailed

SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


@dataclass(frozen=True)
class Mailer:
    scheme: str
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None
    timeout: float = 10.0

    @classmethod
    def from_url(cls, url: str, sender: str, ca_file: str | None = None,
                 timeout: float = 10.0) -> "Mailer":
        """A mailer for `url`; ValueError naming what is wrong (checked at start)."""
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES:
            raise ValueError(f"WIDGET_SERVER_SMTP_URL must start with one of "
                             f"{', '.join(s + '://' for s in SCHEMES)}")
        if not parts.hostname:
            raise ValueError("WIDGET_SERVER_SMTP_URL names no host")
        if parts.username and parts.scheme == "smtp":
            raise ValueError("WIDGET_SERVER_SMTP_URL: credentials are sent only over TLS "
                             "(smtps:// or smtp+starttls://)")
        return cls(scheme=parts.scheme, host=parts.hostname,
                   port=parts.port or SCHEMES[parts.scheme], sender=sender,
                   username=unquote(parts.username) if parts.username else None,
                   password=unquote(parts.password) if parts.password else None,
                   ca_file=ca_file, timeout=timeout)

    def send(self, message: EmailMessage, to: str) -> None:
        """Send `message` to `to`; MailFailed (never naming the address) when it cannot go."""
        message["From"] = self.sender
        message["To"] = to
        try:
            with self._connect() as smtp:
                if self.username is not None:
                    smtp.login(self.username, self.password or "")
                refused = smtp.send_message(message, from_addr=self.sender, to_addrs=[to])
        except (OSError, smtplib.SMTPException, ssl.SSLError) as err:
            raise MailFailed("The email could not be sent (the mail server did not accept "
                             "it). Please try again later.", fields={"email": [
                                 _reason(err)]}) from None
        if refused:
            raise MailFailed("The mail server refused this address.",
                             fields={"email": ["Refused by the mail server."]})

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context(cafile=self.ca_file)
        if self.scheme == "smtps":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.scheme == "smtp+starttls":
                smtp.starttls(context=context)
        except BaseException:
            smtp.close()
            raise
        return smtp


def _reason(err: BaseException) -> str:
    """What went wrong, without the server's words (they may repeat the address)."""
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        return "Refused by the mail server."
    if isinstance(err, ssl.SSLError | ssl.CertificateError):
        return "The mail server's certificate could not be verified."
    if isinstance(err, smtplib.SMTPAuthenticationError):
        return "The mail server refused this server's credentials."
    if isinstance(err, smtplib.SMTPNotSupportedError):  # smtplib's words, not the server's
        return ("The mail server does not offer login (AUTH)." if "AUTH" in str(err)
                else "The mail server does not offer STARTTLS.")
    return "The mail server could not be reached."
