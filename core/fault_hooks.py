"""A test hook for fault tests: ``QUINTE_TEST_HOLD_AFTER=extract,register`` holds a worker inside those stages.

The hold comes after the stage's work is committed and before its run is recorded done: the worst moment for a
crash, because a restarted worker runs the stage again over its own effects. Each listed stage holds once per
process (the first time it runs), so the worker's other threads go on and can be caught in another stage. The
variable is for tests only; unset, this costs one environment lookup per stage.
"""

from __future__ import annotations

import logging
import os
import threading
import time

ENV = "QUINTE_TEST_HOLD_AFTER"
# Long enough for any test to find the held stage and kill the process; a test never waits it out.
HOLD_SECONDS = 600.0

log = logging.getLogger("quinte.fault_hooks")
_held: set[str] = set()
_lock = threading.Lock()


def hold_after(stage: str, document_id: str) -> None:
    """Sleep here when ``stage`` is listed in ``QUINTE_TEST_HOLD_AFTER`` and has not held in this process yet."""
    wanted = os.environ.get(ENV)
    if not wanted or stage not in wanted.split(","):
        return
    with _lock:
        if stage in _held:
            return
        _held.add(stage)
    log.warning("test hook %s: holding %s after its work, before it is recorded done", ENV, stage,
                extra={"document_id": document_id, "stage": stage})
    time.sleep(HOLD_SECONDS)
