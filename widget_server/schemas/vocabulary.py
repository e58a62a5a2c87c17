"""The closed sets of words the API speaks, for the OpenAPI and AsyncAPI documents' `enum`s.

Taken from the domain where the domain owns them, so a new lawful basis or state shows up in the
documents without a second list to keep. The REST schemas keep checking lawful bases and data
categories in the domain (its errors name the place, such as `purposes.0.lawful_basis`); these
enums only document what is accepted.
"""

from widget_server.domain.lawful_basis import ALL_STATES, ALLOWED_CHOICES, DataCategory, LawfulBasis
from widget_server.domain.ledger import ERASED, NOTICE_SERVED

LAWFUL_BASES = [basis.value for basis in LawfulBasis]
DATA_CATEGORIES = [category.value for category in DataCategory]
# A purpose's state, as the roster, the widget and the summaries show it.
STATES = list(ALL_STATES)
# What a participant (or the API on their behalf) may send in `choices`.
CHOICES = sorted({state for states in ALLOWED_CHOICES.values() for state in states})
# A ledger event's state: a purpose's state, or (with `purpose: null`) the notice shown at join
# or an erasure.
LEDGER_STATES = [*STATES, NOTICE_SERVED, ERASED]
# Where a choice came from: the widget, the REST API (a controller recording a choice received
# otherwise), the participant's manage page, or the server itself (a notice change restarting a
# purpose).
CHANNELS = ["widget", "api", "manage", "server"]
# A participant's channel (how they joined).
JOIN_CHANNELS = ["widget", "api"]
CALL_STATUSES = ["open", "ended"]
UPDATE_KINDS = ["joined", "left", "decision", "call_ended", "notice_changed", "erased"]
