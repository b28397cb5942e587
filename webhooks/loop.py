"""The integration loop: outbox to deliveries, deliveries to receivers, scheduled exports; a thread or a command."""

from __future__ import annotations

import logging
import threading

from core.runtime import Runtime
from webhooks.config import exports_config, webhooks_config
from webhooks.delivery import deliver_due, make_client
from webhooks.exports import run_export
from webhooks.outbox import enqueue_all

log = logging.getLogger("quinte.webhooks")


class IntegrationLoop:
    """One pass enqueues new events, sends what is due (repeatedly, so one record's events follow each other
    promptly) and runs due exports. Several loops may run at once (``quinte up`` and ``quinte webhooks dispatch``
    on other machines): rows are claimed with locks, deliveries are unique per subscription and event."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        # Validated up front: a wrong section stops the start, not the first pass an hour later.
        self.config = webhooks_config(runtime.config)
        self.exports = exports_config(runtime.config)
        self.client = make_client(self.config)

    def run_once(self) -> int:
        """Returns how many delivery attempts were made."""
        db = self.runtime.db
        enqueue_all(db, self.config)
        attempts = 0
        for _ in range(100):  # bounded: a receiver that always fails must not starve the exports
            sent = deliver_due(db, self.config, self.client)
            attempts += sent
            if not sent:
                break
        for export in self.exports:
            run_export(self.runtime, export)
        return attempts

    def run(self, stop: threading.Event) -> None:
        log.info("integration loop started")
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:
                # A database hiccup must not end the thread; the next pass starts over from the cursors.
                log.exception("integration loop pass failed")
            stop.wait(self.config.interval_seconds)
        self.client.close()
        log.info("integration loop stopped")

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop,), name="integration", daemon=True)
        thread.start()
        return thread
