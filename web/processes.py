"""``kb serve --processes N``: N server processes accepting on one listening socket (pre-fork).

One Python process serialises its request handling on the GIL; several processes use every core.
The parent binds the port, forks the children before anything heavy is loaded (each then loads
its own model and indexes), replaces a child that dies and stops them all on SIGTERM or Ctrl+C.
"""

from __future__ import annotations

import os
import signal
import sys
import time
import traceback
from collections.abc import Callable

_STARTUP_SECONDS = 120.0  # a child failing sooner (an error, not a signal) failed to start: all stop


def run_processes(count: int, child: Callable[[], None]) -> int:
    """Run ``child`` in ``count`` forked processes until a signal stops them; returns the exit status."""
    started: dict[int, float] = {}
    stopping = False

    def start() -> None:
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            status = 0
            try:
                child()
            except KeyboardInterrupt:
                pass
            except BaseException:
                traceback.print_exc()
                status = 1
            finally:
                os._exit(status)
        started[pid] = time.monotonic()

    def stop(_signal: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in started:
            os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(count):
        start()
    status = 0
    while started:
        pid, code = os.wait()
        lived = time.monotonic() - started.pop(pid)
        if stopping:
            continue
        if lived < _STARTUP_SECONDS and os.WIFEXITED(code) and os.WEXITSTATUS(code):  # an error, not a kill
            print(f"Serverprozess {pid} konnte nicht starten; der Server hält an.", file=sys.stderr)
            stop(signal.SIGTERM, None)
            status = 1
            continue
        print(f"Serverprozess {pid} endete ({os.waitstatus_to_exitcode(code)}); er wird ersetzt.", file=sys.stderr)
        start()
    return status
