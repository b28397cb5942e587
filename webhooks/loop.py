"""Periodic integration work: a webhook dispatch pass (or a message asking the actor for one) and scheduled exports."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from core.runtime import Runtime
from webhooks.config import exports_config, webhooks_config
from webhooks.delivery import make_client
from webhooks.dispatch import dispatch_pass
from webhooks.exports import run_export

log = logging.getLogger("quinte.webhooks")


class IntegrationLoop:
    """Each tick runs the scheduled exports that are due, and either a dispatch pass right here (``quinte webhooks
    dispatch``, every ``interval_seconds``) or, given ``wake``, a message to the dispatch actor: the slow safety tick
    of ``quinte up`` and ``quinte worker`` (every ``tick_seconds``), so no delivery depends on one message surviving.
    Several loops may run at once: rows are claimed with locks, deliveries are unique per subscription and event."""

    def __init__(self, runtime: Runtime, *, wake: Callable[[], None] | None = None) -> None:
        self.runtime = runtime
        # Validated up front: a wrong section stops the start, not the first pass an hour later.
        self.config = webhooks_config(runtime.config)
        self.exports = exports_config(runtime.config)
        self.wake = wake
        self.every = self.config.tick_seconds if wake else self.config.interval_seconds
        self.client = make_client(self.config) if wake is None else None

    def run_once(self) -> int:
        """Returns how many delivery attempts were made here (none when the actor was asked instead)."""
        attempts = 0
        if self.client is not None:
            attempts = dispatch_pass(self.runtime.db, self.config, self.client).attempts
        elif self.wake is not None:
            self.wake()
        for export in self.exports:
            run_export(self.runtime, export)
        return attempts

    def run(self, stop: threading.Event) -> None:
        log.info("integration loop started")
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:
                # A database or broker hiccup must not end the thread; the next tick starts over from the cursors.
                log.exception("integration loop pass failed")
            stop.wait(self.every)
        if self.client is not None:
            self.client.close()
        log.info("integration loop stopped")

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop,), name="integration", daemon=True)
        thread.start()
        return thread
