"""Statistics at the REST edge (CONTRACT §D): the query, and counts that may be suppressed."""

import re
from datetime import date
from typing import Any

from marshmallow import fields, validate

from widget_server.schemas.common import StrictSchema, identifier

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Day(fields.Field):
    """A calendar day as YYYY-MM-DD, nothing else (no time, no other spelling)."""

    default_error_messages = {"invalid": "Not a date as YYYY-MM-DD."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if not isinstance(value, str) or not _DAY.match(value):
            raise self.make_error("invalid")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise self.make_error("invalid") from None

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return value


class StatisticsQuery(StrictSchema):
    start = Day(data_key="from", required=True, metadata={
        "type": "string", "format": "date",
        "description": "First day (UTC) of the calls counted, YYYY-MM-DD."})
    end = Day(data_key="to", required=True, metadata={
        "type": "string", "format": "date",
        "description": "Last day (UTC), inclusive; at most 366 days after `from`, counting "
                       "both."})
    notice_id = identifier(metadata={
        "description": "Only calls on this notice (any of its versions)."})
    group = fields.String(load_default="purpose", validate=validate.OneOf(("purpose", "day")),
                          metadata={"description": "`day` adds each day's figures."})
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")),
                           metadata={"description": "csv: the same figures as text/csv (also "
                                                    "with `Accept: text/csv`)."})


class Figure(StrictSchema):
    """A count, or null when it is suppressed."""

    count = fields.Integer(required=True, allow_none=True)
    suppressed = fields.Boolean(required=True, metadata={
        "description": "True when the count is below the minimum, or could be worked out "
                       "from the published figures together with one that is."})


class Rate(StrictSchema):
    value = fields.Float(required=True, allow_none=True, metadata={
        "description": "granted / (granted + denied + withdrawn), 0 to 1."})
    suppressed = fields.Boolean(required=True, metadata={
        "description": "True when any count it is made of is suppressed."})


class PurposeStatistics(StrictSchema):
    key = fields.String(required=True)
    states = fields.Dict(keys=fields.String(), values=fields.Nested(Figure), required=True,
                         metadata={"description": "State → participants in it now."})
    total = fields.Nested(Figure, required=True, metadata={
        "description": "Participants asked about (or informed of) this purpose."})
    consent_rate = fields.Nested(Rate, required=True, allow_none=True, metadata={
        "description": "Consent purposes only; null for any other lawful basis."})


class DayStatistics(StrictSchema):
    day = fields.String(required=True, metadata={"format": "date"})
    participants = fields.Nested(Figure, required=True)
    purposes = fields.List(fields.Nested(PurposeStatistics), required=True)


class StatisticsOut(StrictSchema):
    """Participants of the organisation's calls opened in the range (UTC days, inclusive), in
    the current state of each purpose; small counts suppressed."""

    start = fields.String(data_key="from", attribute="from", required=True,
                          metadata={"format": "date"})
    end = fields.String(data_key="to", attribute="to", required=True,
                        metadata={"format": "date"})
    group = fields.String(required=True)
    notice_id = fields.String(required=True, allow_none=True)
    min_count = fields.Integer(required=True, metadata={
        "description": "Counts below this are suppressed (WIDGET_SERVER_STATS_MIN_COUNT)."})
    participants = fields.Nested(Figure, required=True)
    purposes = fields.List(fields.Nested(PurposeStatistics), required=True)
    days = fields.List(fields.Nested(DayStatistics), metadata={
        "description": "With group=day: each day (of the call's opening, UTC) that had "
                       "participants, oldest first."})
