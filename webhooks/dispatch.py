"""The webhook dispatcher: one delivery pass, run by a dramatiq actor that commits and backoff retries wake up."""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import dramatiq
import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.runtime import Runtime
from storage.db import Database
from storage.models import Event
from webhooks.config import WebhooksConfig, webhooks_config
from webhooks.delivery import deliver_due, make_client, sendable
from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.outbox import aware, enqueue_all, last_event_id

log = logging.getLogger("quinte.webhooks")

ACTOR_NAME = "quinte_webhooks_dispatch"
QUEUE = "webhooks"
# A pass then gives its worker thread back (sending itself again if more is due): in embedded mode the same
# threads run the stages, and a slow receiver must not hold them.
PASS_BUDGET_SECONDS = 30.0
# A delayed message runs this much after the retry it waits for, so that retry is due when the pass looks.
WAKE_MARGIN = timedelta(milliseconds=20)
# Dramatiq retries a pass that failed (the database away): the messages already sent are not lost either way.
PASS_RETRIES = 5


@dataclass(frozen=True, slots=True)
class PassResult:
    attempts: int
    # When another pass is needed: the earliest backoff retry, or a new look at events held back behind a
    # transaction that had not committed yet; None when nothing is waiting.
    wake_at: datetime | None


def dispatch_pass(db: Database, config: WebhooksConfig, client: httpx.Client) -> PassResult:
    """New events to deliveries, then send what is due (in event order per record) until nothing is or time is up.

    Safe to run concurrently (the actor on several workers, ``quinte webhooks dispatch``): subscriptions and
    deliveries are claimed with row locks, and a delivery is unique per subscription and event.
    """
    with db.session() as session:
        active = session.scalar(select(WebhookSubscription.id).where(WebhookSubscription.active.is_(True)).limit(1))
    if active is None:
        return PassResult(0, None)  # the usual case without integrations: no locks taken for every commit
    enqueue_all(db, config)
    attempts = 0
    deadline = time.monotonic() + PASS_BUDGET_SECONDS
    while time.monotonic() < deadline:
        sent = deliver_due(db, config, client)
        attempts += sent
        if not sent:
            break
    return PassResult(attempts, next_wake(db, config))


def next_wake(db: Database, config: WebhooksConfig) -> datetime | None:
    with db.session() as session:
        # Only deliveries that could be sent: one queued behind its record's failing event must not count as due,
        # or the actor would re-send itself in a tight loop until the first one's backoff ends.
        due = session.scalar(
            select(func.min(WebhookDelivery.next_attempt_at))
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .where(sendable())
        )
        cursor = session.scalar(
            select(func.min(WebhookSubscription.cursor)).where(WebhookSubscription.active.is_(True))
        )
        behind = cursor is not None and cursor < last_event_id(session)
    moments = [aware(due)] if due is not None else []
    if behind:  # an id gap: its transaction's commit or rollback sends no message we could wait for
        moments.append(datetime.now(UTC) + timedelta(seconds=config.interval_seconds))
    return min(moments, default=None)


class WebhookDispatcher:
    """The ``quinte_webhooks_dispatch`` actor on the stages' broker, and what sends it messages.

    A message runs one pass. Messages come from (a) every commit of a session that added ``Event`` rows, (b) the
    actor itself, delayed until the next backoff retry, (c) the slow safety tick of ``quinte up`` / ``quinte
    worker``. A message arriving during another pass is harmless: the second pass finds the rows claimed.
    """

    def __init__(self, runtime: Runtime, broker: dramatiq.Broker) -> None:
        self.runtime = runtime
        self.config = webhooks_config(runtime.config)
        # Ahead of queued stage messages on a shared worker: a pass is short and a receiver is waiting.
        self.actor = dramatiq.Actor(
            self._perform,
            broker=broker,
            actor_name=ACTOR_NAME,
            queue_name=QUEUE,
            priority=-1,
            options={"max_retries": PASS_RETRIES},
        )
        self._lock = threading.Lock()
        self._client: httpx.Client | None = None
        # The delayed message this process last sent: later retries wait for it instead of adding their own,
        # so a receiver that is down costs a few messages per backoff step, not one per event.
        self._scheduled: datetime | None = None
        self._wrote_events = f"quinte.webhooks.wrote_events.{id(self)}"  # this dispatcher's mark in session.info
        self._watch_commits(runtime.db)

    def _watch_commits(self, db: Database) -> None:
        # A session hook rather than a call beside each event: events are written by a dozen modules, and a hook
        # cannot be forgotten by the next one. after_commit runs only once the events are visible to a pass and
        # never for a rollback, so a change that was rolled back sends nothing.
        db.on_session("after_flush", self._note_events)
        db.on_session("after_commit", self._after_commit)
        db.on_session("after_rollback", self._forget_events)

    def _note_events(self, session: Session, _flush_context: object) -> None:
        if any(isinstance(item, Event) for item in session.new):
            session.info[self._wrote_events] = True

    def _forget_events(self, session: Session) -> None:
        session.info.pop(self._wrote_events, None)

    def _after_commit(self, session: Session) -> None:
        if not session.info.pop(self._wrote_events, False):
            return
        try:
            self.wake()
        except Exception:
            # The change is committed and must stay so; the safety tick delivers its events a little later.
            log.warning("could not wake the webhook dispatcher after a commit", exc_info=True)

    def _http_client(self) -> httpx.Client:
        # One client for every pass (httpx clients may be shared between threads): building one costs tens of
        # milliseconds, which a pass after every commit should not pay. Built on first use: most processes that
        # declare the actor never run it.
        with self._lock:
            if self._client is None:
                self._client = make_client(self.config)
            return self._client

    def _perform(self) -> None:
        result = dispatch_pass(self.runtime.db, self.config, self._http_client())
        if result.wake_at is not None:
            self.wake(at=result.wake_at)

    def wake(self, *, at: datetime | None = None) -> None:
        """Ask for a pass now, or at ``at`` unless a message this process sent already comes no later."""
        if at is None:
            self.actor.send()
            return
        now = datetime.now(UTC)
        with self._lock:
            if self._scheduled is not None and now < self._scheduled <= at:
                return  # that pass schedules the next wake-up itself
            previous, self._scheduled = self._scheduled, at
        delay = (at - now + WAKE_MARGIN).total_seconds()
        try:
            self.actor.send_with_options(delay=math.ceil(delay * 1000) if delay > 0 else None)
        except Exception:
            with self._lock:
                if self._scheduled == at:
                    self._scheduled = previous  # not sent: the next pass must be free to try again
            raise
