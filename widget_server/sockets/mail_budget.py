"""How many manage-link emails a participant may ask for (CONTRACT §C: 3 an hour).

Counted per participant id (pseudonymous; never the address) in the rate limits' storage: in
memory for one process, in Redis when several share a message queue, so the cap holds across
processes too. Only sent emails count: a mail server that is down does not use up the budget.
"""

from flask import Flask
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


class ManageLinkBudget:
    def __init__(self, app: Flask) -> None:
        uri = str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
        self.per_hour = int(app.config["MANAGE_LINKS_PER_HOUR"])
        self._limit = parse(f"{self.per_hour}/hour")
        self._limiter = MovingWindowRateLimiter(storage_from_string(uri))

    def allows(self, participant_id: str) -> bool:
        return bool(self._limiter.test(self._limit, "manage-link", participant_id))

    def spend(self, participant_id: str) -> None:
        self._limiter.hit(self._limit, "manage-link", participant_id)
