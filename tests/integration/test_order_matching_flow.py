"""Order matching in the payable flow, and approval through the one after-validation path, on both databases."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from contracts.models import PurchaseDocument
from core.after_validation import after_validation
from core.queue import InlineDispatcher
from core.runner import run_stage
from core.runtime import Runtime
from invoicing.models import Payable
from protocol.models import ProtocolEntry
from review_ui.app import create_app
from review_ui.auth import create_user
from storage.models import Event, Record
from tests.integration.test_invoicing_passive import paper_record

PASSWORD = "correct horse battery"
VAT = "IT01234567890"
# Three pipelines differing only in how the payable stage matches; prices may differ by 1 %, quantities not at all.
PIPELINES = """
default_pipeline: bought
pipelines:
  bought:
    stages: [{name: route}, {name: register, params: {stamp: false}}, {name: payable}]
  strict:
    inbox: strict
    stages: [{name: route}, {name: register, params: {stamp: false}}, {name: payable, params: {require_order: true}}]
  unmatched:
    inbox: unmatched
    stages: [{name: route}, {name: register, params: {stamp: false}}, {name: payable, params: {match_orders: false}}]
registers:
  generale:
    administration: c_h501
    aoo: AOO_GEN
    pipelines: [bought, strict, unmatched]
    doc_types: [invoice, credit_note]
    automatic: true
contracts:
  tolerances: {quantity_pct: 0, price_pct: 1, price_abs: 0.01}
"""
ORDER_LINES = [{"description": "Toner nero", "quantity": "4", "unit_price": "89.95", "amount": "359.80"},
               {"description": "Carta A4 risma", "quantity": "10", "unit_price": "3.06", "amount": "30.60"}]


@pytest.fixture
def rt(runtime_factory: Callable[..., Runtime], tmp_path: Path, database_url: str) -> Runtime:
    path = tmp_path / "pipelines.yaml"
    path.write_text(PIPELINES)
    runtime = runtime_factory(pipelines=path, database_url=database_url)
    with runtime.db.session() as session:
        session.add(PurchaseDocument(kind="order", number="PO-20901", supplier_vat=VAT, total_amount="390.40",
                                     lines=ORDER_LINES))
    return runtime


def invoice(runtime: Runtime, number: str, lines: list[dict[str, str]], *, pipeline: str = "bought",
            status: str = "validated", order_reference: str | None = "PO-20901") -> tuple[str, str]:
    """A supplier invoice as extraction and routing leave it; returns (document id, record id)."""
    fields = {"supplier_name": "Carta & Toner S.r.l.", "supplier_vat": VAT, "invoice_number": number,
              "issue_date": "2026-03-02", "total_amount": "476.29", "order_reference": order_reference}
    record_id = paper_record(runtime, {k: v for k, v in fields.items() if v is not None}, status=status, lines=lines,
                             pipeline=pipeline)
    with runtime.db.session() as session:
        return session.get(Record, record_id).document_id, record_id


def after_route(runtime: Runtime, document_id: str) -> None:
    """The runner's path: the stages after `route`, one at a time, as workers run them."""
    assert run_stage(runtime, document_id, "register") == "payable"
    assert run_stage(runtime, document_id, "payable") is None


def state(runtime: Runtime, record_id: str) -> tuple[Record, Payable | None]:
    with runtime.db.session() as session:
        record = session.get(Record, record_id)
        payable = session.scalar(select(Payable).where(Payable.record_id == record_id))
        return record, payable


def events(runtime: Runtime, record_id: str, kind: str) -> list[dict[str, Any]]:
    with runtime.db.session() as session:
        return [e.data for e in session.scalars(select(Event).where(Event.record_id == record_id, Event.kind == kind)
                                                .order_by(Event.id))]


def order_checks(record: Record) -> list[dict[str, Any]]:
    return [c for c in record.checks or [] if c["code"] in ("order_mismatch", "no_order")]


def test_payable_stage_matches_exact_within_and_beyond_tolerance(rt: Runtime) -> None:
    exact_doc, exact = invoice(rt, "FT 1", ORDER_LINES)
    within_doc, within = invoice(rt, "FT 2", [{**ORDER_LINES[0], "unit_price": "90.50"}, ORDER_LINES[1]])
    beyond_doc, beyond = invoice(rt, "FT 3", [{**ORDER_LINES[0], "unit_price": "95.00"}, ORDER_LINES[1],
                                              {"description": "Spese di trasporto", "quantity": "1",
                                               "unit_price": "20.00"}])
    for document_id in (exact_doc, within_doc, beyond_doc):
        after_route(rt, document_id)

    for record_id in (exact, within):  # 90.50 is 0.6 % above 89.95: inside the 1 % tolerance
        record, payable = state(rt, record_id)
        assert payable is not None and payable.status == "open" and payable.hold_reason is None
        assert record.status == "validated" and order_checks(record) == []
        [outcome] = events(rt, record_id, "payable.matching")
        assert (outcome["status"], outcome["order_number"], outcome["mode"]) == ("matched", "PO-20901", "2-way")

    record, payable = state(rt, beyond)
    assert payable is not None and payable.status == "on_hold"
    assert (payable.hold_reason or "").startswith("order matching: the invoice does not match order PO-20901")
    assert record.status == "needs_review"
    [check] = order_checks(record)
    assert (check["code"], check["severity"]) == ("order_mismatch", "error")
    assert "line 1 “Toner nero”: unit price 95.00 invoiced, 89.95 ordered" in check["message"]
    assert "line 3 “Spese di trasporto”: not on the order" in check["message"]
    assert "Carta A4" not in check["message"]  # the line that agrees is not listed
    assert record.reasons == [f"check failed: {check['message']}"]
    assert len(events(rt, beyond, "record.needs_review")) == 1

    # A rerun of the stage (a worker crashed after committing) changes nothing and logs nothing twice.
    assert run_stage(rt, exact_doc, "payable") is None
    assert len(events(rt, exact, "payable.matching")) == 1
    assert len(events(rt, exact, "payable.created")) == 1


def test_invoice_without_order_is_reported_held_only_when_required(rt: Runtime) -> None:
    reported_doc, reported = invoice(rt, "FT 10", ORDER_LINES, order_reference="PO-77")
    required_doc, required = invoice(rt, "FT 11", ORDER_LINES, pipeline="strict", order_reference=None)
    off_doc, off = invoice(rt, "FT 12", ORDER_LINES, pipeline="unmatched", order_reference="PO-77")
    for document_id in (reported_doc, required_doc, off_doc):
        after_route(rt, document_id)

    record, payable = state(rt, reported)
    assert payable is not None and payable.status == "open" and record.status == "validated"
    [check] = order_checks(record)
    assert (check["code"], check["severity"], check["field"]) == ("no_order", "warning", "order_reference")
    assert "none numbered 'PO-77' from this supplier" in check["message"]
    assert [e["status"] for e in events(rt, reported, "payable.matching")] == ["no_order"]

    record, payable = state(rt, required)
    assert payable is not None and payable.status == "on_hold" and record.status == "needs_review"
    [check] = order_checks(record)
    assert check["severity"] == "error" and "this pipeline requires one" in check["message"]
    assert "the invoice names none" in check["message"]

    record, payable = state(rt, off)  # matching switched off for this pipeline
    assert payable is not None and payable.status == "open" and order_checks(record) == []
    assert events(rt, off, "payable.matching") == []


def reviewer_client(runtime: Runtime) -> tuple[TestClient, dict[str, str]]:
    create_user(runtime.db, "rita", PASSWORD, "reviewer")
    client = TestClient(create_app(runtime, InlineDispatcher(runtime)))
    response = client.post("/api/token", data={"username": "rita", "password": PASSWORD})
    return client, {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_approve_runs_the_pipeline_stages_after_route_once(rt: Runtime) -> None:
    client, headers = reviewer_client(rt)
    good_doc, good = invoice(rt, "FT 20", ORDER_LINES, status="needs_review")
    _, bad = invoice(rt, "FT 21", [{**ORDER_LINES[0], "quantity": "5"}, ORDER_LINES[1]], status="needs_review")

    approved = client.post(f"/api/records/{good}/approve", json={"version": 1}, headers=headers)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "validated" and approved.json()["protocol"]["number"] == "0000001"
    _, payable = state(rt, good)
    assert payable is not None and payable.status == "open" and payable.created_by == "rita"

    # Reruns of either path (the stages of the document, the whole after-validation path) add nothing.
    after_route(rt, good_doc)
    with rt.db.session() as session:
        after_validation(session, rt, good, "rita")
    with rt.db.session() as session:
        assert session.scalar(select(func.count()).select_from(ProtocolEntry)
                              .where(ProtocolEntry.record_id == good)) == 1
        assert session.scalar(select(func.count()).select_from(Payable).where(Payable.record_id == good)) == 1
    assert len(events(rt, good, "protocol.registered")) == 1 and len(events(rt, good, "payable.created")) == 1

    # Approving an invoice that differs from its order: protocolled and booked, held, and back in review.
    first = client.post(f"/api/records/{bad}/approve", json={"version": 1}, headers=headers)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["status"] == "needs_review" and body["protocol"]["number"] == "0000002"
    assert [c["code"] for c in body["checks"]] == ["order_mismatch"]
    assert "quantity 5 invoiced, 4 ordered" in body["checks"][0]["message"]
    _, payable = state(rt, bad)
    assert payable is not None and payable.status == "on_hold"

    # Approved again with the differing lines in sight: it stays validated; the payable stays held for invoicing.
    second = client.post(f"/api/records/{bad}/approve", json={"version": body["version"]}, headers=headers)
    assert second.status_code == 200, second.text
    assert second.json()["status"] == "validated" and second.json()["protocol"]["number"] == "0000002"
    _, payable = state(rt, bad)
    assert payable is not None and payable.status == "on_hold"
    assert len(events(rt, bad, "record.needs_review")) == 1 and len(events(rt, bad, "payable.created")) == 1

    # The order is amended to what was delivered: a rerun matches, and releases the hold matching placed.
    with rt.db.session() as session:
        order = session.scalar(select(PurchaseDocument).where(PurchaseDocument.number == "PO-20901"))
        order.lines = [{**ORDER_LINES[0], "quantity": "5"}, ORDER_LINES[1]]
    with rt.db.session() as session:
        after_validation(session, rt, bad, "system")
    record, payable = state(rt, bad)
    assert payable is not None and payable.status == "open" and payable.hold_reason is None
    assert record.status == "validated" and order_checks(record) == []
    assert len(events(rt, bad, "payable.released")) == 1


def test_lines_corrected_in_review_release_the_hold_on_approval(rt: Runtime) -> None:
    client, headers = reviewer_client(rt)
    document_id, misread = invoice(rt, "FT 30", [{**ORDER_LINES[0], "unit_price": "98.95"}, ORDER_LINES[1]])
    after_route(rt, document_id)  # validated automatically, then held: OCR read 98.95 for 89.95
    record, payable = state(rt, misread)
    assert record.status == "needs_review" and payable is not None and payable.status == "on_hold"

    corrected = client.patch(f"/api/records/{misread}/lines", json={"version": record.version, "lines": ORDER_LINES},
                             headers=headers)
    assert corrected.status_code == 200, corrected.text
    approved = client.post(f"/api/records/{misread}/approve", json={"version": corrected.json()["version"]},
                           headers=headers)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "validated" and order_checks(state(rt, misread)[0]) == []
    _, payable = state(rt, misread)
    assert payable is not None and payable.status == "open" and payable.hold_reason is None
    assert [e["reason"] for e in events(rt, misread, "payable.released")] == [None]
    assert [e["status"] for e in events(rt, misread, "payable.matching")] == ["mismatch", "matched"]
