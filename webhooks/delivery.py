"""Sending deliveries: signed POSTs, at least once, in event order per record, with backoff and a dead letter."""

from __future__ import annotations

import hashlib
import hmac
import logging
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import httpx
from sqlalchemy import ColumnElement, and_, exists, select, update
from sqlalchemy.orm import Session, aliased

from storage.db import Database
from webhooks.config import WebhooksConfig
from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.outbox import aware, begin_exclusive

log = logging.getLogger("quinte.webhooks")
USER_AGENT = "quinte-webhooks/0.1"


def sign(secret: str, timestamp: str, body: str) -> str:
    """``sha256=<hex>`` of HMAC-SHA256 over ``"<timestamp>.<body>"``: the receiver checks body and freshness."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: str, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def backoff(attempts: int, config: WebhooksConfig) -> timedelta:
    """Exponential, capped, with a little jitter so failed receivers are not hit by every sender at once."""
    seconds = min(config.backoff_base_seconds * 2 ** max(attempts - 1, 0), config.backoff_max_seconds)
    return timedelta(seconds=seconds * random.uniform(0.9, 1.1))


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery taken by this sender, with what is needed to send it outside any transaction."""

    id: int
    event_id: int
    subscription_id: int
    url: str
    secret: str
    body: str


def sendable() -> ColumnElement[bool]:
    """Pending, for an active subscription, and not behind an earlier pending delivery of the same record."""
    earlier = aliased(WebhookDelivery)
    blocked = exists().where(and_(
        earlier.subscription_id == WebhookDelivery.subscription_id,
        earlier.record_id == WebhookDelivery.record_id,
        earlier.status == "pending",
        earlier.event_id < WebhookDelivery.event_id,
    ))
    return and_(WebhookDelivery.status == "pending", WebhookSubscription.active.is_(True), ~blocked)


def claim_due(db: Database, config: WebhooksConfig, *, now: datetime | None = None) -> list[Claimed]:
    """Take due deliveries whose record has no earlier pending delivery for the same subscription."""
    now = now or datetime.now(UTC)
    with db.session() as session:
        begin_exclusive(session)
        rows = session.execute(
            select(WebhookDelivery, WebhookSubscription)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .where(sendable(), WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.event_id).limit(config.batch_size)
            .with_for_update(of=WebhookDelivery, skip_locked=True)
        ).all()
        # The claim is a lease: if this process dies mid-send, another one retries once it runs out.
        lease = now + timedelta(seconds=config.claim_seconds)
        for delivery, _subscription in rows:
            delivery.next_attempt_at = lease
        return [Claimed(d.id, d.event_id, s.id, s.url, s.secret, d.body) for d, s in rows]


def send(client: httpx.Client, claimed: Claimed) -> tuple[int | None, str | None]:
    """POST one delivery; (HTTP status, error) — the error never includes the secret or the signature."""
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Quinte-Event-Id": str(claimed.event_id),
        "X-Quinte-Timestamp": timestamp,
        "X-Quinte-Signature": sign(claimed.secret, timestamp, claimed.body),
    }
    try:
        response = client.post(claimed.url, content=claimed.body.encode(), headers=headers)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:512]
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"HTTP {response.status_code}"


def record_outcome(db: Database, claimed: Claimed, code: int | None, error: str | None,
                   config: WebhooksConfig) -> str:
    """Store how the attempt went; schedule the next one or dead-letter it. Returns the new status."""
    now = datetime.now(UTC)
    with db.session() as session:
        delivery = session.get(WebhookDelivery, claimed.id)
        if delivery is None or delivery.status != "pending":
            return delivery.status if delivery else "gone"
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.last_status_code = code
        delivery.last_error = error
        if error is None:
            delivery.status, delivery.delivered_at = "delivered", now
        elif now - aware(delivery.window_started_at) >= timedelta(seconds=config.dead_after_seconds):
            delivery.status = "dead"
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts, config)
        _log_outcome(claimed, delivery, error)
        return delivery.status


def _log_outcome(claimed: Claimed, delivery: WebhookDelivery, error: str | None) -> None:
    # Only the host: a URL's query string may carry a receiver's own credentials.
    host = urlparse(claimed.url).hostname
    extra = {"subscription_id": claimed.subscription_id, "event_id": claimed.event_id}
    if error is None:
        log.info("webhook event %s delivered to %s", claimed.event_id, host, extra=extra)
    elif delivery.status == "dead":
        log.warning("webhook event %s to %s dead-lettered after %d attempts (%s)", claimed.event_id, host,
                    delivery.attempts, error, extra=extra)
    else:
        log.info("webhook event %s to %s failed (%s), attempt %d", claimed.event_id, host, error,
                 delivery.attempts, extra=extra)


def deliver_due(db: Database, config: WebhooksConfig, client: httpx.Client) -> int:
    """One pass: claim what is due and send it; returns how many attempts were made."""
    claimed = claim_due(db, config)
    # Stop while the lease still covers a whole request: past it another sender may claim the same rows and the
    # receiver would get them twice. What is left is due again once the lease runs out.
    deadline = time.monotonic() + config.claim_seconds - config.timeout_seconds
    attempts = 0
    for item in claimed:
        if time.monotonic() > deadline:
            break
        code, error = send(client, item)
        record_outcome(db, item, code, error, config)
        attempts += 1
    return attempts


def retry(session: Session, delivery: WebhookDelivery) -> None:
    """A person asks for another try now: back to pending with a fresh dead-letter window."""
    now = datetime.now(UTC)
    session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery.id)
                    .values(status="pending", next_attempt_at=now, window_started_at=now, delivered_at=None))


def make_client(config: WebhooksConfig) -> httpx.Client:
    # Redirects are not followed: a signed body must only ever reach the URL an admin configured.
    return httpx.Client(timeout=httpx.Timeout(config.timeout_seconds), follow_redirects=False)
