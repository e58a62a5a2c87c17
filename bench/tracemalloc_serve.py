"""`widget-server serve` with tracemalloc on, for bench/memory.py: SIGUSR1 writes a snapshot.

Started as `python -X tracemalloc=N bench/tracemalloc_serve.py serve --port P`; each SIGUSR1
collects garbage (frozen objects included) and dumps a snapshot to $BENCH_SNAPSHOT.<k>
(k = 1, 2, ...), written under a temporary name and renamed when complete.
"""

import gc
import os
import signal
import sys
import tracemalloc
from types import FrameType


def dump(_signum: int, _frame: FrameType | None) -> None:
    dump.count += 1  # type: ignore[attr-defined]
    gc.unfreeze()  # the server's collector policy freezes survivors: count only live memory
    gc.collect()
    target = f"{os.environ['BENCH_SNAPSHOT']}.{dump.count}"  # type: ignore[attr-defined]
    tracemalloc.take_snapshot().dump(target + ".tmp")
    os.rename(target + ".tmp", target)


dump.count = 0  # type: ignore[attr-defined]

if __name__ == "__main__":
    if not tracemalloc.is_tracing():
        sys.exit("run with python -X tracemalloc=N")
    signal.signal(signal.SIGUSR1, dump)
    from widget_server.entry import main

    main(sys.argv[1:])
