"""The webhook dispatcher as a dramatiq actor: woken by commits, retried by delayed messages; Redis and in-process."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dramatiq
import pytest
import redis
from dramatiq.middleware import Middleware
from sqlalchemy import insert

from core.queue import DramatiqDispatcher, make_broker
from core.runtime import Runtime
from storage.models import Event, Record
from tests.conftest import free_port
from tests.integration.test_faults import wait_until
from tests.integration.test_webhooks import Receiver, add_event, add_record, deliveries, make_runtime, subscribe
from webhooks.config import webhooks_config
from webhooks.delivery import make_client
from webhooks.dispatch import ACTOR_NAME, dispatch_pass
from webhooks.outbox import aware

REDIS_URL = "redis://127.0.0.1:6379/12"  # a database of its own: other suites flush 7 and 11
WEBHOOKS = """
webhooks: {backoff_base_seconds: 0.05, backoff_max_seconds: 0.2, timeout_seconds: 2, dead_after_seconds: 3600,
           gap_grace_seconds: 60, tick_seconds: 0.3}
"""


class SentMessages(Middleware):
    """Every dispatch message put on the broker, with its delay (None: at once)."""

    def __init__(self) -> None:
        self.delays: list[int | None] = []

    def after_enqueue(self, broker: dramatiq.Broker, message: dramatiq.Message, delay: int | None) -> None:
        if message.actor_name == ACTOR_NAME:
            self.delays.append(delay)


@dataclass
class Deployment:
    """A runtime, its dispatcher on a broker, and the workers started on it (stopped by the fixture)."""

    runtime: Runtime
    broker_url: str
    dispatcher: DramatiqDispatcher
    sent: SentMessages
    workers: list[dramatiq.Worker] = field(default_factory=list)

    def start_worker(self, dispatcher: DramatiqDispatcher | None = None) -> None:
        """Like ``quinte worker`` / ``quinte up``: every queue, stages and webhooks alike."""
        worker = (dispatcher or self.dispatcher).worker(threads=2)
        worker.start()
        self.workers.append(worker)


@pytest.fixture(params=["redis+postgresql", "memory+sqlite"])
def deployment(request: pytest.FixtureRequest, runtime_factory: Callable[..., Runtime],
               tmp_path: Path) -> Iterator[Deployment]:
    """Redis with PostgreSQL (workers on many machines), and the embedded stub broker with SQLite (``quinte up``)."""
    if request.param == "redis+postgresql":
        redis.Redis.from_url(REDIS_URL).flushdb()
        broker_url, database_url = REDIS_URL, request.getfixturevalue("pg_url")
    else:
        broker_url, database_url = "memory://", f"sqlite:///{tmp_path}/embedded.db"
    runtime = make_runtime(runtime_factory, tmp_path, database_url, WEBHOOKS)
    dispatcher = DramatiqDispatcher(runtime, make_broker(broker_url))
    sent = SentMessages()
    dispatcher.broker.add_middleware(sent)
    made = Deployment(runtime, broker_url, dispatcher, sent)
    yield made
    for worker in made.workers:
        worker.stop(timeout=10_000)
    dispatcher.broker.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver(free_port())
    yield made
    made.stop()


def no_loop_thread() -> bool:
    return not any(thread.name == "integration" for thread in threading.enumerate())


def test_a_committed_event_reaches_the_receiver_through_the_actor(deployment: Deployment,
                                                                  receiver: Receiver) -> None:
    runtime = deployment.runtime
    receiver.start()
    subscribe(runtime, receiver.url, ["record.validated"])
    record_id = add_record(runtime, status="validated")
    assert deployment.sent.delays == []  # commits without events wake nobody
    deployment.start_worker()
    assert no_loop_thread()

    event_id = add_event(runtime, "record.validated", record_id)
    assert deployment.sent.delays[:1] == [None]  # sent at commit, not later
    wait_until(lambda: bool(receiver.events()), 15, "the event to reach the receiver")
    [payload] = receiver.events()
    assert payload["id"] == event_id and payload["data"]["record"]["id"] == record_id
    wait_until(lambda: deliveries(runtime)[0].status == "delivered", 15, "the outcome to be committed")
    [done] = deliveries(runtime)
    assert done.status == "delivered" and done.attempts == 1


def test_a_receiver_down_for_a_while_gets_the_event_through_delayed_resends(deployment: Deployment,
                                                                             receiver: Receiver) -> None:
    runtime = deployment.runtime
    subscribe(runtime, receiver.url, ["record.validated"])
    record_id = add_record(runtime)
    deployment.start_worker()
    event_id = add_event(runtime, "record.validated", record_id)

    # Nobody listens: each failed attempt is retried by the actor re-sending itself after the backoff.
    wait_until(lambda: any(d.attempts >= 3 for d in deliveries(runtime)), 15, "several failed attempts")
    [pending] = deliveries(runtime)
    assert pending.status == "pending" and "ConnectError" in (pending.last_error or "")
    assert any(delay for delay in deployment.sent.delays), "retries came from delayed messages"
    assert no_loop_thread()

    receiver.start()
    wait_until(lambda: bool(receiver.events()), 15, "the event once the receiver is back")
    assert [event["id"] for event in receiver.events()] == [event_id]
    wait_until(lambda: deliveries(runtime)[0].status == "delivered", 15, "the outcome to be committed")
    [done] = deliveries(runtime)
    assert done.status == "delivered" and done.attempts >= 4
    # One pass sends at most one wake-up: a receiver that is down must not multiply the messages.
    assert len(deployment.sent.delays) <= 2 * done.attempts + 2, deployment.sent.delays


def test_a_rolled_back_transaction_sends_nothing(deployment: Deployment, receiver: Receiver) -> None:
    runtime = deployment.runtime
    receiver.start()
    subscribe(runtime, receiver.url, ["record.rejected", "record.validated"])
    record_id = add_record(runtime)
    deployment.start_worker()

    with pytest.raises(RuntimeError), runtime.db.session() as session:
        session.add(Event(kind="record.rejected", record_id=record_id, data={"reason": "blurred"}))
        session.flush()
        raise RuntimeError("the change fails after its event was written")
    with runtime.db.session() as session:  # events flushed, rolled back, then a commit of something else
        session.add(Event(kind="record.rejected", record_id=record_id))
        session.flush()
        session.rollback()
        session.get(Record, record_id).text = "corrected text"
    assert deployment.sent.delays == []

    kept = add_event(runtime, "record.validated", record_id)
    wait_until(lambda: bool(receiver.events()), 15, "the committed event")
    assert [(event["id"], event["type"]) for event in receiver.events()] == [(kept, "record.validated")]
    assert [d.event_id for d in deliveries(runtime)] == [kept]


def test_two_workers_deliver_each_event_once_in_record_order(deployment: Deployment, receiver: Receiver) -> None:
    """Two dispatchers (two processes) on one database: every commit wakes both, passes overlap."""
    runtime = deployment.runtime
    receiver.start()
    receiver.status = 503  # the first attempts fail, so retries and new events race each other
    subscribe(runtime, receiver.url, ["record.needs_review", "record.validated"])
    records = [add_record(runtime) for _ in range(3)]
    other = DramatiqDispatcher(runtime, make_broker(deployment.broker_url))
    deployment.start_worker()
    deployment.start_worker(other)
    try:
        written = {record_id: [] for record_id in records}
        for round_ in range(4):
            for record_id in records:
                kind = "record.needs_review" if round_ % 2 == 0 else "record.validated"
                written[record_id].append(add_event(runtime, kind, record_id))
            if round_ == 1:
                receiver.status = 200
        wait_until(lambda: len(receiver.events()) >= 12, 30, "all twelve events")
    finally:
        other.broker.close()
    received = [event["id"] for event in receiver.events()]
    assert sorted(received) == sorted(i for ids in written.values() for i in ids), "each event exactly once"
    for record_id, ids in written.items():
        assert [i for i in received if i in ids] == ids, f"record {record_id} out of order"
    # The receiver answers before the sender commits the outcome, so the last rows turn "delivered" a moment later.
    wait_until(lambda: {d.status for d in deliveries(runtime)} == {"delivered"}, 15, "every delivery marked delivered")
    assert sorted(event["id"] for event in receiver.events()) == sorted(received), "no resend after delivery"


def test_the_safety_tick_delivers_an_event_no_message_announced(deployment: Deployment, receiver: Receiver) -> None:
    """An event written behind the session's back (no commit hook) still goes out, on the next tick."""
    from core.services import start_integration_tick

    runtime = deployment.runtime
    receiver.start()
    subscribe(runtime, receiver.url, ["record.validated"])
    record_id = add_record(runtime)
    deployment.start_worker()
    with runtime.db.session() as session:
        session.execute(insert(Event).values(kind="record.validated", record_id=record_id, data={}, actor="system",
                                             created_at=datetime.now(UTC)))
    assert deployment.sent.delays == []
    stop = threading.Event()
    tick = start_integration_tick(runtime, deployment.dispatcher, stop)
    try:
        wait_until(lambda: bool(receiver.events()), 15, "the event through the safety tick")
    finally:
        stop.set()
        assert tick is not None
        tick.join(timeout=5)
    assert [event["type"] for event in receiver.events()] == ["record.validated"]
    assert start_integration_tick(runtime, deployment.dispatcher, stop, queues=["ocr"]) is None


def test_delayed_wake_ups_coalesce(runtime_factory: Callable[..., Runtime], tmp_path: Path) -> None:
    """A later retry waits for the wake-up already on its way; an earlier one gets its own."""
    runtime = make_runtime(runtime_factory, tmp_path, f"sqlite:///{tmp_path}/wake.db", WEBHOOKS)
    dispatcher = DramatiqDispatcher(runtime, make_broker("memory://"))
    sent = SentMessages()
    dispatcher.broker.add_middleware(sent)
    now = datetime.now(UTC)
    dispatcher.webhooks.wake(at=now + timedelta(seconds=10))
    dispatcher.webhooks.wake(at=now + timedelta(seconds=20))
    assert len(sent.delays) == 1 and 9_900 < (sent.delays[0] or 0) <= 10_100
    dispatcher.webhooks.wake(at=now + timedelta(seconds=5))
    dispatcher.webhooks.wake()  # a commit always sends
    assert len(sent.delays) == 3 and 4_900 < (sent.delays[1] or 0) <= 5_100 and sent.delays[2] is None


def test_a_pass_waits_for_the_backoff_not_for_an_event_queued_behind_it(
        runtime_factory: Callable[..., Runtime], tmp_path: Path, receiver: Receiver) -> None:
    """The second event of a record is due but blocked: the next wake-up is the first one's retry, not now."""
    runtime = make_runtime(runtime_factory, tmp_path, f"sqlite:///{tmp_path}/order.db",
                           WEBHOOKS.replace("backoff_base_seconds: 0.05, backoff_max_seconds: 0.2",
                                            "backoff_base_seconds: 30, backoff_max_seconds: 60"))
    receiver.start()
    receiver.status = 503
    subscribe(runtime, receiver.url, ["record.needs_review", "record.validated"])
    record_id = add_record(runtime)
    add_event(runtime, "record.needs_review", record_id)
    add_event(runtime, "record.validated", record_id)
    config = webhooks_config(runtime.config)
    with make_client(config) as client:
        result = dispatch_pass(runtime.db, config, client)
    assert result.attempts == 1
    assert [json.loads(item["body"])["type"] for item in receiver.requests] == ["record.needs_review"]
    first, blocked = deliveries(runtime)
    assert blocked.status == "pending" and aware(blocked.next_attempt_at) < datetime.now(UTC)
    assert result.wake_at == aware(first.next_attempt_at)
    assert result.wake_at > datetime.now(UTC) + timedelta(seconds=20)
