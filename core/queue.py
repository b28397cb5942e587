"""Queue wiring: stages as dramatiq actors on Redis, RabbitMQ or the in-process stub broker, or run inline.

The broker is built here from the URL and passed explicitly; dramatiq's implicit global broker is never used.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Protocol
from urllib.parse import urlparse

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    CurrentMessage,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

from core.errors import PermanentError
from core.runner import run_document_inline, run_stage
from core.runtime import Runtime

log = logging.getLogger("quinte.queue")

MAX_RETRIES = 5
# A long contract at 300 dpi can take minutes of OCR; the limit only stops a stage that hangs for good.
STAGE_TIME_LIMIT_MS = 30 * 60 * 1000
ACTOR_PREFIX = "quinte_stage_"
# Within a worker, quick stages go before OCR (dramatiq runs lower numbers first among the messages it holds).
QUEUE_PRIORITY = {"ocr": 10}


class Dispatcher(Protocol):
    """Where a document's next stage is sent."""

    def submit(self, document_id: str, stage: str) -> None: ...


class InlineDispatcher:
    """Runs the whole remaining chain in the caller's thread (``quinte process``, tests)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def submit(self, document_id: str, stage: str) -> None:
        run_document_inline(self.runtime, document_id, stage)


def make_broker(url: str) -> dramatiq.Broker:
    """A broker for ``memory://``, ``redis://…`` or ``amqp://…`` with quinte's middleware."""
    middleware = [
        AgeLimit(),
        TimeLimit(time_limit=STAGE_TIME_LIMIT_MS),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        Retries(max_retries=MAX_RETRIES, min_backoff=1000, max_backoff=5 * 60 * 1000),
        CurrentMessage(),
    ]
    scheme = urlparse(url).scheme
    if scheme == "memory":
        return StubBroker(middleware=middleware, fail_fast_default=False)
    if scheme in {"redis", "rediss"}:
        from dramatiq.brokers.redis import RedisBroker

        # A killed worker's unacked messages return to the queue once its heartbeat is this old. That check
        # runs on a random share of broker calls: dramatiq's 0.1 % leaves an idle queue's messages stranded for
        # many minutes, 5 % runs it every few seconds (one cheap Lua sorted-set lookup).
        return RedisBroker(url=url, middleware=middleware, heartbeat_timeout=30_000, maintenance_chance=50_000)
    if scheme in {"amqp", "amqps"}:
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        return RabbitmqBroker(url=url, middleware=middleware, confirm_delivery=True)
    raise ValueError(f"unsupported broker URL {url!r}")


class DramatiqDispatcher:
    """Sends stages as messages; a worker runs one and the stages after it on the same queue, then sends the next."""

    def __init__(self, runtime: Runtime, broker: dramatiq.Broker) -> None:
        self.runtime = runtime
        self.broker = broker
        self.actors: dict[str, dramatiq.Actor] = {}
        for queue in sorted(runtime.registry.queues()):
            self.actors[queue] = dramatiq.Actor(
                self._perform,
                broker=broker,
                actor_name=ACTOR_PREFIX + queue,
                queue_name=queue,
                priority=QUEUE_PRIORITY.get(queue, 0),
                options={"max_retries": MAX_RETRIES, "throws": (PermanentError,)},
            )
        # Webhook deliveries share the broker (the ``webhooks`` queue); its actor is woken by commits that write events.
        from webhooks.dispatch import WebhookDispatcher

        self.webhooks = WebhookDispatcher(runtime, broker)

    def _perform(self, document_id: str, stage: str) -> None:
        message = CurrentMessage.get_current_message()
        retries = message.options.get("retries", 0) if message else 0
        next_stage = run_stage(
            self.runtime, document_id, stage, attempt=retries + 1, final_attempt=retries >= MAX_RETRIES
        )
        # The stages that follow on the same queue run here, in this message. Sent as messages of their own, each
        # would wait behind the OCR message the worker already holds, so a document read early was finished only
        # when the whole backlog had been read. Every stage still records its run and may run twice safely, so a
        # worker lost mid-chain costs only a repeat when the message comes back.
        queue = self.runtime.registry[stage].queue
        while next_stage is not None and self.runtime.registry[next_stage].queue == queue:
            try:
                next_stage = run_stage(self.runtime, document_id, next_stage, final_attempt=False)
            except Exception:
                # A passing failure gets a message of its own, with the queue's retries and backoff.
                log.info("stage %s of %s will be retried in a message of its own", next_stage, document_id)
                break
        if next_stage is not None:
            self.submit(document_id, next_stage)

    def submit(self, document_id: str, stage: str) -> None:
        queue = self.runtime.registry[stage].queue
        self.actors[queue].send(document_id, stage)

    def queue_names(self) -> list[str]:
        return sorted({*self.actors, self.webhooks.actor.queue_name})

    def worker(self, *, queues: Iterable[str] | None = None, threads: int = 2) -> dramatiq.Worker:
        chosen = set(queues) if queues else None
        return dramatiq.Worker(self.broker, queues=chosen, worker_threads=threads)

    def pending(self) -> int:
        """Messages waiting in the in-process broker (0 for remote brokers, which we cannot see cheaply)."""
        if isinstance(self.broker, StubBroker):
            return sum(queue.qsize() for queue in self.broker.queues.values())
        return 0


def make_dispatcher(runtime: Runtime, *, inline: bool = False) -> InlineDispatcher | DramatiqDispatcher:
    if inline:
        return InlineDispatcher(runtime)
    return DramatiqDispatcher(runtime, make_broker(runtime.settings.broker_url))
