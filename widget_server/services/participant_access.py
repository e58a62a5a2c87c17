"""The manage secret (CONTRACT §C): a participant proves who they are with the resume secret
the widget was given at join, sent as `Authorization: Participant <participant id>.<secret>`
(the resume value itself).

Every refusal is the same refusal (one message, one status), whether the header is missing,
malformed, truncated, names nobody or holds another participant's secret; and every attempt
costs the same work: a hash and a constant-time comparison, against a stand-in digest when
nobody is found, so that timing does not tell which participant ids exist.
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from widget_server.domain.errors import Unauthorized
from widget_server.domain.ids import digest, is_id, same_digest
from widget_server.domain.models import Participant

SCHEME = "participant"
MAX_CREDENTIALS = 200  # an id (≤ 64) and a secret (32): anything far longer is not one
REFUSAL = ("Send the manage secret as 'Authorization: Participant <participant id>.<secret>' "
           "(the key of the manage link, with its participant id).")
# Compared against when the header names nobody: the work done is the same.
_STAND_IN = digest("no participant has this secret")


@dataclass(frozen=True)
class Identity:
    participant_id: str
    call_id: str


def authenticate(session: Session, authorization: str | None) -> Identity:
    """The participant the header proves to be; Unauthorized (always the same) otherwise."""
    participant_id, secret = _credentials(authorization)
    row = None
    if participant_id is not None:
        row = session.execute(select(Participant.id, Participant.call_id,
                                     Participant.resume_hash)
                              .where(Participant.id == participant_id)).first()
    # Always one hash and one comparison, found or not, well-formed or not.
    genuine = same_digest(secret, row.resume_hash if row is not None else _STAND_IN)
    if row is None or not genuine:
        raise Unauthorized(REFUSAL)
    return Identity(row.id, row.call_id)


def _credentials(authorization: str | None) -> tuple[str | None, str]:
    """(participant id, secret) from the header; (None, "") when it cannot be one."""
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() != SCHEME or len(credentials) > MAX_CREDENTIALS:
        return None, ""
    participant_id, dot, secret = credentials.partition(".")
    if not dot or not secret or not is_id(participant_id) or not secret.isascii():
        return None, ""
    return participant_id, secret
