"""Contracts register on a real database: registration, deadline events once, matching service, API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contracts.deadlines import scan, upcoming
from contracts.matching import match_invoice
from contracts.models import ContractEntry, PurchaseDocument
from contracts.register import register_contract
from core.queue import InlineDispatcher
from core.runtime import Runtime
from review_ui.app import create_app
from review_ui.auth import create_user
from storage.models import Document, Event, FieldRow, Record, new_id

PASSWORD = "correct horse battery"


def make_record(session: Session, doc_type: str, fields: dict[str, Any], *, status: str = "validated",
                lines: list[dict[str, str]] | None = None) -> str:
    document = Document(sha256=new_id() * 2, pipeline="contracts", source="x.pdf", original_name="x.pdf",
                        media_type="application/pdf", size=1, object_key="k")
    session.add(document)
    session.flush()
    record = Record(document_id=document.id, pipeline="contracts", doc_type=doc_type, status=status,
                    lines=lines or [])
    session.add(record)
    session.flush()
    for name, value in fields.items():
        session.add(FieldRow(record_id=record.id, name=name, value=value, machine_value=value))
    session.flush()
    return record.id


CONTRACT = {"parties": ["Alfa S.r.l.", "Beta S.p.A."], "effective_date": "2024-03-01", "term": "P12M",
            "notice_period": "P3M", "auto_renewal": True, "amount": "12000.00", "currency": "EUR",
            "jurisdiction": "Milano", "subject": "manutenzione impianti"}


def test_register_and_deadline_event_fires_once(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        record_id = make_record(session, "contract", CONTRACT)
        pending = make_record(session, "contract", CONTRACT, status="needs_review")
        entry = register_contract(session, record_id, today=dt.date(2024, 3, 1))
        assert isinstance(entry, ContractEntry)
        assert (entry.end_date, entry.notice_date, entry.renewal_date) == (
            dt.date(2025, 2, 28), dt.date(2024, 11, 28), dt.date(2025, 3, 1))
        assert entry.status == "active"
        assert register_contract(session, pending) is None  # not validated: nothing happens
    with runtime.db.session() as session:
        first = scan(session, dt.date(2024, 11, 1), days_before=30)
        assert [e.data["deadline"] for e in first] == ["notice"]
    with runtime.db.session() as session:
        assert scan(session, dt.date(2024, 11, 2), days_before=30) == []  # same deadline: never twice
        later = scan(session, dt.date(2025, 2, 10), days_before=30)
        assert sorted(e.data["deadline"] for e in later) == ["end", "renewal"]
        count = session.scalar(select(func.count()).select_from(Event).where(Event.kind == "contract.deadline"))
        assert count == 3
        board = upcoming(session, dt.date(2025, 2, 10), 30)
        assert [d["kind"] for d in board] == ["end", "renewal"]


def test_matching_service(runtime: Runtime) -> None:
    order_lines = [{"description": "Toner nero", "quantity": "4", "unit_price": "89.95", "amount": "359.80"}]
    with runtime.db.session() as session:
        order_record = make_record(session, "order", {"order_number": "PO-20901", "supplier_vat": "IT01234567890",
                                                      "total_amount": "438.96"}, lines=order_lines)
        assert isinstance(register_contract(session, order_record), PurchaseDocument)
        by_ref = make_record(session, "invoice", {"order_reference": "PO-20901", "supplier_vat": "IT01234567890"},
                             lines=order_lines)
        by_amount = make_record(session, "invoice", {"supplier_vat": "IT01234567890", "total_amount": "438.96"},
                                lines=[{**order_lines[0], "unit_price": "95.00"}])
        orphan = make_record(session, "invoice", {"supplier_vat": "IT09999999999", "total_amount": "1.00"})
        result = match_invoice(session, by_ref)
        assert (result.status, result.matched_by, result.mode) == ("matched", "reference", "2-way")
        mismatch = match_invoice(session, by_amount)
        assert (mismatch.status, mismatch.matched_by) == ("mismatch", "supplier_amount")
        assert mismatch.differences[0].problems == ["unit price 95.00 invoiced, 89.95 ordered"]
        missing = match_invoice(session, orphan)
        assert missing.status == "no_order" and not missing.matched
        session.add(PurchaseDocument(kind="delivery_note", number="DDT 7", order_reference="PO-20901",
                                     lines=[{"description": "Toner nero", "quantity": "2"}]))
        session.flush()
        short = match_invoice(session, by_ref)
        assert (short.status, short.mode) == ("mismatch", "3-way")


def test_api_orders_contracts_and_matching(runtime: Runtime) -> None:
    create_user(runtime.db, "rita", PASSWORD, "reviewer")
    client = TestClient(create_app(runtime, InlineDispatcher(runtime)))
    response = client.post("/api/token", data={"username": "rita", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    order = {"order_number": "ODA 12/2025", "supplier_vat": "IT01234567890", "cig": "Z1A2B3C4D5",
             "lines": [{"description": "Carta A4", "quantity": "10", "unit_price": "3.06"}]}
    created = client.post("/api/orders", json=order, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["total_amount"] == "30.60"
    assert client.post("/api/orders", json=order, headers=headers).status_code == 409
    assert [o["number"] for o in client.get("/api/orders", headers=headers).json()] == ["ODA 12/2025"]
    with runtime.db.session() as session:
        record_id = make_record(session, "contract", CONTRACT)
        register_contract(session, record_id)
        invoice = make_record(session, "invoice", {"order_reference": "ODA 12/2025"},
                              lines=[{"description": "Carta A4", "quantity": "10", "unit_price": "3.06"}])
    listing = client.get("/api/contracts", headers=headers).json()
    assert listing[0]["deadlines"][0]["kind"] == "notice"
    assert client.get(f"/api/contracts/{listing[0]['id']}", headers=headers).json()["parties"] == CONTRACT["parties"]
    assert "deadlines" in client.get("/api/contracts/deadlines", headers=headers).json()
    assert client.get(f"/api/records/{invoice}/matching", headers=headers).json()["status"] == "matched"
