"""The protocol register on SQLite and PostgreSQL: numbering, concurrency, immutability, chain, annulment, days."""

from __future__ import annotations

import json
import multiprocessing
import threading
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from protocol.chain import fingerprint, verify_register
from protocol.daily import produce_daily
from protocol.models import ProtocolAnnulment, ProtocolEntry
from protocol.service import (
    DayClosed,
    ProtocolError,
    annul_entry,
    change_entry,
    register_entry,
    register_record,
    rome_now,
)
from storage.db import Database
from storage.objects import LocalObjectStore
from tests.integration.protocol_helpers import REGISTER, data, migrated, stored_record

# 23:30 UTC on 31 December is already New Year in Rome: the year comes from Europe/Rome, not UTC.
NEW_YEAR_EVE = datetime(2025, 12, 31, 22, 30, tzinfo=UTC)
NEW_YEAR = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)


def _numbers(db: Database, year: int) -> list[int]:
    with db.session() as session:
        return list(session.scalars(select(ProtocolEntry.number).where(ProtocolEntry.year == year)
                                    .order_by(ProtocolEntry.number)))


def test_numbering_is_per_year_in_rome_time_and_restarts_at_one(database_url: str) -> None:
    db = migrated(database_url)
    first = register_entry(db, REGISTER, data(1), actor="t", now=NEW_YEAR_EVE - (NEW_YEAR - NEW_YEAR_EVE))
    second = register_entry(db, REGISTER, data(2), actor="t", now=NEW_YEAR_EVE)
    rollover = register_entry(db, REGISTER, data(3), actor="t", now=NEW_YEAR)
    assert (first.year, first.number, second.number) == (2025, 1, 2)
    assert (rollover.year, rollover.number) == (2026, 1)
    assert rollover.registration_date == date(2026, 1, 1)
    with db.session() as session:
        assert verify_register(session) == []
    db.dispose()


def test_a_record_is_registered_once_per_register(database_url: str) -> None:
    db = migrated(database_url)
    record_id = stored_record(db)
    runtime_like = type("R", (), {"db": db, "config": _config()})()
    one = register_record(runtime_like, record_id, "system")  # type: ignore[arg-type]
    two = register_record(runtime_like, record_id, "system")  # type: ignore[arg-type]
    assert one is not None and two is not None and one.id == two.id and one.number == 1
    assert one.sender_number == "5573" and one.sender_date == "2026-03-02" and one.correspondent == "ACME S.p.A."
    assert one.algorithm == "SHA-256" and len(one.fingerprint) == 44  # base64 of 32 bytes
    with pytest.raises(IntegrityError), db.session() as session:
        session.add(ProtocolEntry(**{c: getattr(one, c) for c in (
            "register", "year", "registered_at", "registration_date", "kind", "administration", "aoo", "direction",
            "correspondent", "recipients", "subject", "fingerprint", "algorithm", "record_id", "created_by",
            "prev_hash", "entry_hash")}, number=99))
    review = stored_record(db, status="needs_review")
    assert register_record(runtime_like, review, "system") is None  # waits for approval
    db.dispose()


def _config():  # type: ignore[no-untyped-def]
    from core.config import PipelinesConfig

    return PipelinesConfig.model_validate({
        "pipelines": {"auto": {"stages": [{"name": "route"}]}, "passive_invoices": {"stages": [{"name": "route"}]}},
        "registers": {"generale": REGISTER.model_dump(exclude={"code"})},
    })


def test_the_database_rejects_changes_to_fixed_columns_and_deletes(database_url: str) -> None:
    db = migrated(database_url)
    entry = register_entry(db, REGISTER, data(1), actor="t")
    statements = [
        f"UPDATE protocol_entries SET subject = 'altro' WHERE id = {entry.id}",
        f"UPDATE protocol_entries SET number = 7 WHERE id = {entry.id}",
        f"DELETE FROM protocol_entries WHERE id = {entry.id}",
        "UPDATE protocol_counters SET last_number = 0",
        "DELETE FROM protocol_counters",
    ]
    for statement in statements:
        with pytest.raises(DBAPIError), db.engine.begin() as conn:
            conn.execute(text(statement))
    # Classification is the one thing that may change (through change_entry, which keeps the history).
    with db.engine.begin() as conn:
        conn.execute(text(f"UPDATE protocol_entries SET classification = 'VI.3' WHERE id = {entry.id}"))
    with db.session() as session:
        assert session.get(ProtocolEntry, entry.id).subject == "Fattura n. 1 del 2026-01-10"  # type: ignore[union-attr]
    db.dispose()


def _disable_guard(db: Database) -> None:
    # What an attacker with database access would do first.
    with db.engine.begin() as conn:
        if db.is_sqlite:
            conn.execute(text("DROP TRIGGER protocol_entries_immutable"))
        else:
            conn.execute(text("ALTER TABLE protocol_entries DISABLE TRIGGER protocol_entries_immutable"))


def test_verify_finds_rows_edited_behind_the_applications_back(database_url: str) -> None:
    db = migrated(database_url)
    entries = [register_entry(db, REGISTER, data(i), actor="t") for i in range(1, 5)]
    with db.session() as session:
        change_entry(session, entries[0].id, {"classification": "VI.3"}, actor="t")
        assert verify_register(session) == []
    _disable_guard(db)
    with db.engine.begin() as conn:
        conn.execute(text(f"UPDATE protocol_entries SET correspondent = 'Altro' WHERE id = {entries[2].id}"))
        conn.execute(text(f"UPDATE protocol_entries SET classification = 'I.1' WHERE id = {entries[0].id}"))
    with db.session() as session:
        problems = [str(p) for p in verify_register(session)]
    assert any("n. 0000003" in p and "content does not match" in p for p in problems), problems
    assert any("n. 0000001" in p and "classification differs" in p for p in problems), problems
    assert not any("n. 0000002" in p or "n. 0000004" in p for p in problems)
    db.dispose()


def test_annulment_keeps_the_entry_and_is_itself_immutable(database_url: str) -> None:
    db = migrated(database_url)
    entry = register_entry(db, REGISTER, data(1), actor="t")
    with db.session() as session:
        with pytest.raises(ProtocolError):
            annul_entry(session, entry.id, actor="pa", reason=" ", authorizing_act="det. 12/2026")
        annul_entry(session, entry.id, actor="pa", reason="registered twice", authorizing_act="det. 12/2026")
    with db.session() as session, pytest.raises(ProtocolError):
        annul_entry(session, entry.id, actor="pa", reason="again", authorizing_act="det. 13/2026")
    with db.session() as session:
        kept = session.get(ProtocolEntry, entry.id)
        assert kept is not None and kept.subject == entry.subject and kept.number == 1
        assert verify_register(session) == []
    assert register_entry(db, REGISTER, data(2), actor="t").number == 2  # the annulled number is never reused
    with pytest.raises(DBAPIError), db.engine.begin() as conn:
        conn.execute(text("DELETE FROM protocol_annulments"))
    with db.engine.begin() as conn:  # behind the back: drop the guard, remove the annulment
        conn.execute(text("DROP TRIGGER protocol_annulments_no_delete" if db.is_sqlite else
                          "ALTER TABLE protocol_annulments DISABLE TRIGGER protocol_annulments_append_only"))
        conn.execute(text("DELETE FROM protocol_annulments"))
    with db.session() as session:
        assert session.scalar(select(ProtocolAnnulment)) is None
        assert any("annulment record is gone" in str(p) for p in verify_register(session))
    db.dispose()


def test_daily_register_holds_exactly_that_day_and_freezes_it(database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = migrated(database_url)
    store = LocalObjectStore(tmp_path / "objects")
    day_one = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    day_two = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    on_one = [register_entry(db, REGISTER, data(i), actor="t", now=day_one) for i in range(3)]
    register_entry(db, REGISTER, data(9), actor="t", now=day_two)
    made = produce_daily(db, store, REGISTER, date(2026, 3, 2), now=day_two)
    stored = store.get(made.json_key)
    assert fingerprint(stored) == made.json_fingerprint
    assert fingerprint(store.get(made.pdf_key)) == made.pdf_fingerprint
    assert store.get(made.pdf_key).startswith(b"%PDF")
    payload = json.loads(stored)
    assert [item["number"] for item in payload["entries"]] == [f"{e.number:07d}" for e in on_one]
    assert payload["count"] == 3 and payload["day"] == "2026-03-02"
    with pytest.raises(DayClosed):
        register_entry(db, REGISTER, data(10), actor="t", now=day_one)
    assert produce_daily(db, store, REGISTER, date(2026, 3, 2), now=day_two).id == made.id  # frozen, not remade
    with db.session() as session:
        assert verify_register(session, store) == []
    store.put(made.json_key, stored.replace(b"Fornitore 1", b"Fornitore X"))
    with db.session() as session:
        assert any("fingerprint" in str(p) for p in verify_register(session, store))
    db.dispose()


def _register_many(url: str, count: int, start: Any) -> None:
    db = Database(url)
    start.wait()
    for index in range(count):
        register_entry(db, REGISTER, data(index), actor="worker")
    db.dispose()


def test_two_hundred_registrations_from_concurrent_processes_on_postgresql(pg_url: str) -> None:
    db = migrated(pg_url)
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [context.Process(target=_register_many, args=(pg_url, 50, start)) for _ in range(4)]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    year = rome_now().year
    assert _numbers(db, year) == list(range(1, 201))
    with db.session() as session:
        assert verify_register(session) == []
    db.dispose()


def test_concurrent_threads_on_sqlite_get_consecutive_numbers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = migrated(f"sqlite:///{tmp_path}/quinte.db")
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for index in range(25):
                register_entry(db, REGISTER, data(index), actor="thread")
        except BaseException as exc:  # collected, then reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with db.session() as session:
        numbers = sorted(session.scalars(select(ProtocolEntry.number)))
        assert numbers == list(range(1, 101))
        assert verify_register(session) == []
    db.dispose()
