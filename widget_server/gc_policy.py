"""Garbage collection that does not stall live traffic (DESIGN §5, research/perf.md §6).

With thousands of sockets connected, CPython's full collections walk every live object and
stall the event loop for hundreds of milliseconds. Freezing moves the survivors out of the
collector's sight, so collections stay short; freezing every second keeps them short as
connections come and go. The price is that cycles frozen while still in use are never
collected: so, once the server has been quiet for a while (no live event for QUIET seconds),
and at most every MAX_DEFERRAL seconds under constant load, everything is unfrozen and
collected once, then frozen again.
"""

import gc
import time
from collections.abc import Callable

FREEZE_EVERY = 1.0
QUIET = 5.0
MAX_DEFERRAL = 600.0


class CollectorPolicy:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.last_activity = clock()
        self.last_full = clock()
        self.full_collections = 0

    def activity(self) -> None:
        """Called on live traffic; cheap."""
        self.last_activity = self.clock()

    def tick(self, busy: bool = False) -> None:
        """Called every FREEZE_EVERY seconds from a background task. `busy`: work is waiting
        (clients wait on a commit that waits on the database): not a quiet moment, even though
        no live event arrives meanwhile."""
        now = self.clock()
        if busy:
            self.last_activity = now
        quiet = now - self.last_activity >= QUIET
        overdue = now - self.last_full >= MAX_DEFERRAL
        if (quiet and now - self.last_full >= QUIET) or overdue:
            gc.unfreeze()
            gc.collect()
            self.last_full = now
            self.full_collections += 1
        gc.freeze()
