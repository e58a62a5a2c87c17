"""Per-connection state kept in memory: which call, which participant, and a rate budget.

Nothing here is personal data and nothing outlives the connection.
"""

import threading
import time
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    rate: float
    burst: float
    tokens: float = 0.0
    stamp: float = field(default_factory=time.monotonic)
    refusals: int = 0

    def __post_init__(self) -> None:
        self.tokens = self.burst

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            self.refusals = 0
            return True
        self.refusals += 1
        return False


@dataclass
class Connection:
    call_id: str
    bucket: TokenBucket
    resume: str | None = None
    participant_id: str | None = None


class Registry:
    def __init__(self) -> None:
        self._by_sid: dict[str, Connection] = {}
        self._lock = threading.Lock()

    def add(self, sid: str, connection: Connection) -> None:
        with self._lock:
            self._by_sid[sid] = connection

    def get(self, sid: str) -> Connection | None:
        return self._by_sid.get(sid)

    def __len__(self) -> int:
        return len(self._by_sid)

    def pop(self, sid: str) -> Connection | None:
        with self._lock:
            return self._by_sid.pop(sid, None)

    def participants(self) -> set[str]:
        """The participants with a live connection here."""
        with self._lock:
            return {c.participant_id for c in self._by_sid.values() if c.participant_id}

    def joined(self) -> list[str]:
        """The sids of the connections that joined as a participant."""
        with self._lock:
            return [sid for sid, c in self._by_sid.items() if c.participant_id]
