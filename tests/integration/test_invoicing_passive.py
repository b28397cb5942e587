"""Passive cycle on SQLite and PostgreSQL: records become payables, duplicates go to review, payment runs pay them."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import cms
from lxml import etree
from sqlalchemy import select

from core.runner import run_document_inline
from core.runtime import Runtime
from ingest.intake import accept_file
from invoicing.api import payment_progress
from invoicing.duplicates import flag_record
from invoicing.models import Payable, PaymentRun, Supplier
from invoicing.payables import create_payable_for_record
from invoicing.payments import (
    PaymentRunError,
    approve_run,
    cancel_run,
    execute_run,
    prepare_run,
    validate_pain001,
)
from protocol.service import register_record
from storage.models import Document, Event, FieldRow, Record

SUPPLIER = {"supplier_name": "Carta & Penne S.r.l.", "supplier_vat": "IT07654321095",
            "iban": "IT60X0542811101000000123456"}


@pytest.fixture
def rt(runtime_factory: Callable[..., Runtime], database_url: str) -> Runtime:
    """The repository's pipelines.yaml (fatturapa → … → duplicates → route → register → payable)."""
    return runtime_factory(database_url=database_url)


def paper_record(runtime: Runtime, fields: dict[str, Any], *, doc_type: str = "invoice", status: str = "validated",
                 text: str = "", lines: list[dict[str, str]] | None = None, pipeline: str = "passive_invoices") -> str:
    """A record as extraction and review leave it, written straight to the database."""
    sha = hashlib.sha256(os.urandom(16)).hexdigest()
    with runtime.db.session() as session:
        document = Document(sha256=sha, pipeline=pipeline, source=f"inbox/invoices/{sha[:8]}.pdf",
                            original_name=f"{sha[:8]}.pdf", media_type="application/pdf", size=1,
                            object_key=f"originals/{sha[:2]}/{sha}", page_count=1)
        record = Record(document=document, pipeline=pipeline, doc_type=doc_type, doc_type_confidence=0.99,
                        status=status, text=text, lines=lines or [])
        record.fields = [FieldRow(name=k, value=v, confidence=0.99, source="rules") for k, v in fields.items()]
        session.add(record)
        session.flush()
        return record.id


def book(runtime: Runtime, record_id: str, actor: str = "system") -> Payable | None:
    register_record(runtime, record_id, actor)  # a register applies to passive_invoices: protocol first
    with runtime.db.session() as session:
        payable = create_payable_for_record(session, record_id, config=runtime.config, store=runtime.store,
                                            actor=actor)
        if payable is not None:
            _ = payable.supplier, payable.instalments  # loaded before the session closes
        return payable


def ingest(runtime: Runtime, data: bytes, name: str) -> str:
    result = accept_file(runtime, "passive_invoices", data, source=f"upload/{name}", original_name=name)
    assert result.outcome == "accepted" and result.document_id, result
    run_document_inline(runtime, result.document_id, result.first_stage)
    with runtime.db.session() as session:
        return session.scalars(select(Record.id).where(Record.document_id == result.document_id)).one()


def signed(xml: bytes) -> bytes:
    """A CAdES-like envelope around the XML (extraction does not verify the signature)."""
    signed_data = cms.SignedData({"version": "v1", "digest_algorithms": [{"algorithm": "sha256"}],
                                  "encap_content_info": {"content_type": "data", "content": xml}, "signer_infos": []})
    return cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()


def test_validated_paper_invoice_becomes_payable_once_protocolled(rt: Runtime) -> None:
    lines = [{"description": "Carta A4", "quantity": "10", "unit_price": "10.00", "amount": "100.00", "vat_rate": "22"},
             {"description": "Libri", "quantity": "1", "unit_price": "50.00", "amount": "50.00", "vat_rate": "4"}]
    record_id = paper_record(rt, {**SUPPLIER, "invoice_number": "FT2026/0042", "issue_date": "2026-01-15",
                                  "net_amount": "150.00", "vat_amount": "24.00", "total_amount": "174.00",
                                  "payment_terms": "RiBa 30/60 gg d.f.f.m."}, lines=lines)
    with rt.db.session() as session:  # not protocolled yet: the register applies, so no payable
        assert create_payable_for_record(session, record_id, config=rt.config, store=rt.store) is None
    payable = book(rt, record_id)
    assert payable is not None and payable.status == "open" and payable.kind == "invoice"
    assert (payable.number, payable.issue_date, payable.total_cents) == ("FT2026/0042", date(2026, 1, 15), 17400)
    assert [(i.due_date, i.amount_cents) for i in payable.instalments] == [(date(2026, 2, 28), 8700),
                                                                           (date(2026, 3, 31), 8700)]
    assert payable.due_date == date(2026, 2, 28)
    assert payable.vat_breakdown == [{"rate": "22", "natura": None, "taxable": "100.00", "tax": "22.00"},
                                     {"rate": "4", "natura": None, "taxable": "50.00", "tax": "2.00"}]
    assert payable.supplier.vat_id == "IT07654321095" and payable.supplier.iban == SUPPLIER["iban"]
    assert book(rt, record_id).id == payable.id  # booked once, however often asked

    # a credit note naming the invoice is linked to it; its IBAN change puts it on hold and is logged
    note_id = paper_record(rt, {**SUPPLIER, "iban": "IT02L1234512345123456789012", "invoice_number": "NC 7",
                                "issue_date": "2026-02-01", "total_amount": "-24.40"}, doc_type="credit_note",
                           text="NOTA DI CREDITO n. NC 7\nNota di credito a storno della fattura n. FT2026/0O42 - 15/1")
    note = book(rt, note_id)
    assert note is not None and note.corrects_number == "FT2026/0O42" and note.corrects_payable_id == payable.id
    assert note.status == "on_hold" and "IBAN changed" in (note.hold_reason or "")
    with rt.db.session() as session:
        assert session.scalars(select(Supplier)).one().iban == "IT02L1234512345123456789012"
        assert session.scalar(select(Event).where(Event.kind == "supplier.iban_changed")) is not None


def test_sdi_file_is_booked_and_its_copies_go_to_review(rt: Runtime, shared_data: Path) -> None:
    xml = (shared_data / "fatturapa" / "samples" / "invoice-simple-iban.xml").read_bytes()
    first = ingest(rt, xml, "IT01234567890_00001.xml")
    with rt.db.session() as session:
        record = session.get(Record, first)
        assert record.status == "validated" and record.fields[0].confidence == 1.0
        payable = session.scalars(select(Payable).where(Payable.record_id == first)).one()
        assert (payable.source, payable.number, payable.total_cents) == ("sdi", "SAMPLE-001", 138840)
        assert payable.iban == "IT60X0542811101000000123456" and payable.supplier.vat_id == "IT12345678903"
        assert {b["natura"] for b in payable.vat_breakdown} == {None, "N2.2"}

    # the same XML, signed: different bytes, same content → caught by content hash, not booked
    second = ingest(rt, signed(xml), "IT01234567890_00001.xml.p7m")
    # the paper copy, with an OCR-damaged number (O for 0): caught by the business key
    third = paper_record(rt, {"supplier_name": "MaF Services", "supplier_vat": "12345678903",
                              "invoice_number": "SAMPLE-OO1", "issue_date": "2023-03-02", "total_amount": "1388.40"},
                         status="processing")
    with rt.db.session() as session:
        flag_record(session, rt.store, session.get(Record, third))
    with rt.db.session() as session:
        for record_id, reason in [(second, "same file content"), (third, "same supplier, number and year")]:
            record = session.get(Record, record_id)
            flags = [c for c in record.checks if c["code"] == "probable_duplicate"]
            assert flags and flags[0]["severity"] == "error", record.checks
            assert f"probable duplicate of record {first}: {reason}" in flags[0]["message"]
        assert session.get(Record, second).status == "needs_review"
        assert len(session.scalars(select(Payable)).all()) == 1  # only the first one was booked

    # validated by the machine it is still refused; a reviewer's explicit approval books it
    with rt.db.session() as session:
        session.get(Record, third).status = "validated"
        session.add(Event(kind="record.validated", record_id=third))
    assert book(rt, third) is None
    with rt.db.session() as session:
        assert "probable duplicate" in session.scalar(select(Event.data).where(
            Event.kind == "payable.not_booked", Event.record_id == third).order_by(Event.id.desc()).limit(1))["reason"]
        session.add(Event(kind="record.validated", actor="rita", record_id=third))
    assert book(rt, third, actor="rita") is not None


def test_one_character_apart_is_a_duplicate_only_with_the_same_total(rt: Runtime) -> None:
    base = {**SUPPLIER, "issue_date": "2026-05-02", "total_amount": "100.00"}
    first = paper_record(rt, {**base, "invoice_number": "17/2026"})
    book(rt, first)
    next_one = paper_record(rt, {**base, "invoice_number": "18/2026", "total_amount": "250.00"}, status="processing")
    misread = paper_record(rt, {**base, "invoice_number": "17/2028"}, status="processing")
    with rt.db.session() as session:
        assert flag_record(session, rt.store, session.get(Record, next_one)) == []
        assert [m.record_id for m in flag_record(session, rt.store, session.get(Record, misread))] == [first]


def _due_payables(rt: Runtime) -> tuple[str, str, str]:
    invoice = paper_record(rt, {**SUPPLIER, "invoice_number": "A-1", "issue_date": "2026-01-10",
                                "due_date": "2026-02-10", "total_amount": "1000.00"})
    note = paper_record(rt, {**SUPPLIER, "invoice_number": "NC-1", "issue_date": "2026-01-20",
                             "total_amount": "100.00"}, doc_type="credit_note", text="rif. fattura n. A-1")
    later = paper_record(rt, {**SUPPLIER, "invoice_number": "A-2", "issue_date": "2026-03-10",
                              "due_date": "2026-06-30", "total_amount": "5.00"})
    return tuple(book(rt, rid).id for rid in (invoice, note, later))  # type: ignore[return-value]


def test_payment_run_lifecycle(rt: Runtime) -> None:
    invoice_id, note_id, later_id = _due_payables(rt)
    with rt.db.session() as session:
        run, selection = prepare_run(session, rt.config, actor="aldo", execution_date=date(2026, 2, 10),
                                     due_by=date(2026, 2, 28))
        run_id, xml = run.id, run.xml
        assert [(i.payable_id, i.amount_cents, i.credit_note_ids) for i in run.items] == [(invoice_id, 90000,
                                                                                            [note_id])]
        assert selection.skipped == []
    validate_pain001(xml)
    ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
    root = etree.fromstring(xml.encode())
    assert root.findtext(".//p:CdtTrfTxInf/p:RmtInf/p:Ustrd", namespaces=ns) == "Fattura n. A-1 del 10/01/2026"
    assert root.findtext(".//p:CdtTrfTxInf/p:Amt/p:InstdAmt", namespaces=ns) == "900.00"

    def statuses() -> dict[str, str]:
        with rt.db.session() as session:
            return {p.id: p.status for p in session.scalars(select(Payable))}

    assert statuses() == {invoice_id: "scheduled", note_id: "scheduled", later_id: "open"}
    with rt.db.session() as session, pytest.raises(PaymentRunError, match="cannot approve"):
        approve_run(session, run_id, actor="aldo")  # four eyes
    with rt.db.session() as session, pytest.raises(PaymentRunError, match="only an approved run"):
        execute_run(session, run_id, actor="aldo")
    with rt.db.session() as session:
        approve_run(session, run_id, actor="admin")
    with rt.db.session() as session:
        execute_run(session, run_id, actor="aldo")
    assert statuses() == {invoice_id: "paid", note_id: "paid", later_id: "open"}
    with rt.db.session() as session:
        assert session.get(PaymentRun, run_id).status == "executed"
        events = {e.kind: e for e in session.scalars(select(Event).where(Event.kind.like("payment_run.%")))}
        assert events["payment_run.approved"].actor == "admin"
        assert events["payment_run.executed"].data["approved_by"] == "admin"
        with pytest.raises(PaymentRunError, match="nothing to pay"):
            prepare_run(session, rt.config, actor="aldo", execution_date=date(2026, 2, 10), due_by=date(2026, 2, 28))
        with pytest.raises(PaymentRunError, match="is paid"):
            prepare_run(session, rt.config, actor="aldo", execution_date=date(2026, 2, 10), payable_ids=[invoice_id])


PAIN = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}


def _transfers(xml: str) -> list[tuple[str, str, str]]:
    """(amount, remittance, end-to-end id) of every credit transfer in a pain.001 file, validated first."""
    validate_pain001(xml)
    root = etree.fromstring(xml.encode())
    return [(tx.findtext("p:Amt/p:InstdAmt", namespaces=PAIN), tx.findtext("p:RmtInf/p:Ustrd", namespaces=PAIN),
             tx.findtext("p:PmtId/p:EndToEndId", namespaces=PAIN))
            for tx in root.iterfind(".//p:CdtTrfTxInf", PAIN)]


def _progress(rt: Runtime, payable_id: str) -> tuple[str, list[str], dict[str, Any]]:
    with rt.db.session() as session:
        payable = session.get(Payable, payable_id)
        return payable.status, [i.status for i in payable.instalments], payment_progress(payable)


def _run(rt: Runtime, due_by: date | None = None, payable_ids: list[str] | None = None, execute: bool = True
         ) -> tuple[str, str]:
    with rt.db.session() as session:
        run, _ = prepare_run(session, rt.config, actor="aldo", execution_date=due_by or date(2026, 1, 31),
                             due_by=due_by, payable_ids=payable_ids)
        run_id, xml = run.id, run.xml
    if execute:
        with rt.db.session() as session:
            approve_run(session, run_id, actor="admin")
        with rt.db.session() as session:
            execute_run(session, run_id, actor="aldo")
    return run_id, xml


def test_instalments_are_paid_one_run_at_a_time(rt: Runtime) -> None:
    record_id = paper_record(rt, {**SUPPLIER, "invoice_number": "FT/9", "issue_date": "2026-01-15",
                                  "total_amount": "1000.01", "payment_terms": "30/60/90 gg d.f.f.m."})
    payable_id = book(rt, record_id).id
    assert _progress(rt, payable_id)[1] == ["open", "open", "open"]

    _, xml = _run(rt, date(2026, 2, 28))  # the first instalment only is due
    assert [(a, t) for a, t, _ in _transfers(xml)] == [("333.33", "Fattura n. FT/9 del 15/01/2026 rata 1/3")]
    status, states, progress = _progress(rt, payable_id)
    assert (status, states) == ("open", ["paid", "open", "open"])  # partly paid: the payable stays open
    assert progress["partial"] and (progress["paid_instalments"], progress["paid_amount"]) == (1, "333.33")
    assert progress["open_amount"] == "666.68"

    run_id, xml = _run(rt, date(2026, 4, 30), execute=False)  # the other two in one file: two transfers
    transfers = _transfers(xml)
    assert [(amount, text) for amount, text, _ in transfers] == [
        ("333.33", "Fattura n. FT/9 del 15/01/2026 rata 2/3"), ("333.35", "Fattura n. FT/9 del 15/01/2026 rata 3/3")]
    assert len({e2e for _, _, e2e in transfers}) == 2 and all(len(e2e) <= 35 for _, _, e2e in transfers)
    assert _progress(rt, payable_id)[:2] == ("scheduled", ["paid", "scheduled", "scheduled"])
    with rt.db.session() as session:
        cancel_run(session, run_id, actor="aldo")
    assert _progress(rt, payable_id)[:2] == ("open", ["paid", "open", "open"])

    _run(rt, date(2026, 3, 31))
    assert _progress(rt, payable_id)[:2] == ("open", ["paid", "paid", "open"])
    _run(rt, payable_ids=[payable_id])  # by hand: whatever is still open
    status, states, progress = _progress(rt, payable_id)
    assert (status, states, progress["partial"]) == ("paid", ["paid", "paid", "paid"], False)
    with rt.db.session() as session, pytest.raises(PaymentRunError, match="is paid"):
        prepare_run(session, rt.config, actor="aldo", execution_date=date(2026, 5, 1), payable_ids=[payable_id])


def test_credit_note_is_netted_off_the_first_instalment_paid(rt: Runtime) -> None:
    invoice = paper_record(rt, {**SUPPLIER, "invoice_number": "FT/10", "issue_date": "2026-01-15",
                                "total_amount": "200.00", "payment_terms": "30/60 gg d.f.f.m."})
    note = paper_record(rt, {**SUPPLIER, "invoice_number": "NC/1", "issue_date": "2026-01-20",
                             "total_amount": "-30.00"}, doc_type="credit_note", text="rif. fattura n. FT/10")
    invoice_id, note_id = book(rt, invoice).id, book(rt, note).id
    run_id, xml = _run(rt, date(2026, 3, 31), execute=False)
    assert [(a, t) for a, t, _ in _transfers(xml)] == [("70.00", "Fattura n. FT/10 del 15/01/2026 rata 1/2"),
                                                       ("100.00", "Fattura n. FT/10 del 15/01/2026 rata 2/2")]
    with rt.db.session() as session:
        run = session.get(PaymentRun, run_id)
        assert [(i.credit_note_ids, i.instalment.seq) for i in run.items] == [([note_id], 1), ([], 2)]
        approve_run(session, run_id, actor="admin")
    with rt.db.session() as session:
        execute_run(session, run_id, actor="aldo")
    with rt.db.session() as session:
        assert {p.id: p.status for p in session.scalars(select(Payable))} == {invoice_id: "paid", note_id: "paid"}


def test_api_shows_a_partly_paid_payable(rt: Runtime) -> None:
    from fastapi.testclient import TestClient

    from core.queue import InlineDispatcher
    from review_ui.app import create_app
    from review_ui.auth import create_user

    payable_id = book(rt, paper_record(rt, {**SUPPLIER, "invoice_number": "FT/11", "issue_date": "2026-01-15",
                                            "total_amount": "90.00", "payment_terms": "30/60 gg d.f.f.m."})).id
    run_id, _ = _run(rt, date(2026, 2, 28))
    create_user(rt.db, "aldo", "correct horse battery", "approver")
    client = TestClient(create_app(rt, InlineDispatcher(rt)))
    headers = {"Authorization": "Bearer " + client.post("/api/token", data={
        "username": "aldo", "password": "correct horse battery"}).json()["access_token"]}
    payable = client.get(f"/api/payables/{payable_id}", headers=headers).json()
    assert payable["status"] == "open" and payable["payment"]["partial"] is True
    assert [(i["seq"], i["status"], i["amount"]) for i in payable["instalments"]] == [(1, "paid", "45.00"),
                                                                                      (2, "open", "45.00")]
    run = client.get(f"/api/payment-runs/{run_id}", headers=headers).json()
    assert [(i["instalment"], i["amount"]) for i in run["items"]] == [("1/2", "45.00")]


def test_instalment_migration_keeps_what_was_paid(database_url: str) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from storage.db import MIGRATIONS_DIR, Database

    db = Database(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004_invoicing")
    now = "2026-01-01 00:00:00"
    with db.engine.begin() as connection:
        connection.execute(text("INSERT INTO inv_suppliers (vat_id, name, created_at, updated_at) "
                                "VALUES ('IT07654321095', 'Carta', :now, :now)"), {"now": now})
        for payable_id, status in (("paid1", "paid"), ("open1", "open")):
            connection.execute(text(
                "INSERT INTO inv_payables (id, record_id, document_id, supplier_id, kind, number, number_norm, "
                "currency, total_cents, vat_breakdown, status, source, created_by, created_at, updated_at) VALUES "
                "(:id, :id, :id, (SELECT id FROM inv_suppliers), 'invoice', :id, :id, 'EUR', 100, '[]', :status, "
                "'paper', 'system', :now, :now)"), {"id": payable_id, "status": status, "now": now})
            connection.execute(text("INSERT INTO inv_instalments (payable_id, seq, due_date, amount_cents) "
                                    "VALUES (:id, 1, '2026-02-01', 100)"), {"id": payable_id})
    db.migrate()
    with db.session() as session:
        assert {p.id: [i.status for i in p.instalments] for p in session.scalars(select(Payable))} == {
            "paid1": ["paid"], "open1": ["open"]}
    db.dispose()


def test_a_rerun_that_only_rewords_the_reasons_sends_no_second_review_event(rt: Runtime) -> None:
    """A redelivered duplicates + route pair, after another copy arrived, updates the reasons but not the events."""
    from core.runner import run_stage

    fields = {**SUPPLIER, "invoice_number": "77/2026", "issue_date": "2026-05-02", "total_amount": "100.00"}
    book(rt, paper_record(rt, fields))
    copy = paper_record(rt, fields, status="processing")
    with rt.db.session() as session:
        document_id = session.get(Record, copy).document_id

    def review_state() -> tuple[str, list[str], int]:
        with rt.db.session() as session:
            record = session.get(Record, copy)
            events = session.scalars(select(Event).where(Event.record_id == copy,
                                                         Event.kind == "record.needs_review")).all()
            return record.status, list(record.reasons or []), len(events)

    for stage in ("duplicates", "route"):
        run_stage(rt, document_id, stage)
    status, reasons, events = review_state()
    assert (status, events) == ("needs_review", 1) and "(and" not in " ".join(reasons)

    third = paper_record(rt, fields, status="processing")  # a third copy arrives while the second waits for review
    with rt.db.session() as session:
        third_document = session.get(Record, third).document_id
    run_stage(rt, third_document, "duplicates")
    for stage in ("duplicates", "route"):  # the second's messages delivered again
        run_stage(rt, document_id, stage)
    status, reasons, events = review_state()
    assert status == "needs_review" and "(and 1 more)" in " ".join(reasons)  # the record shows the news
    assert events == 1  # but webhooks hear of the review once
