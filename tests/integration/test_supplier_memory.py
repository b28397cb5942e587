"""Supplier memory: a reviewer's correction on one document changes what the next one of that supplier yields."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from benchmarks.accuracy import unusual_supplier
from core.context import StageContext
from core.document import PageWords
from core.queue import InlineDispatcher
from core.runtime import Runtime
from extract.evaluation import Item, drawn
from extract.memory import learn_from_correction
from extract.models import SupplierHint
from extract.stage import ExtractParams, extract_stage
from review_ui.app import create_app
from review_ui.auth import create_user
from storage.models import Document, Event, FieldRow, Page, Record, WordRow

VAT = "IT00743110157"
PASSWORD = "correct horse battery"


def store(runtime: Runtime, pages: list[PageWords], name: str) -> str:
    """A document with its recognised words and an empty record, as the ocr stage leaves it."""
    with runtime.db.session() as session:
        document = Document(sha256=hashlib.sha256(name.encode()).hexdigest(), pipeline="auto", source=name,
                            original_name=name, media_type="image/png", size=1, object_key=f"x/{name}",
                            page_count=len(pages))
        session.add(document)
        session.flush()
        for page in pages:
            row = Page(document_id=document.id, number=page.page, width=page.width, height=page.height,
                       image_key=f"x/{name}/{page.page}")
            session.add(row)
            session.flush()
            session.add_all(WordRow(page_id=row.id, seq=i, text=w.text, x0=w.bbox[0], y0=w.bbox[1], x1=w.bbox[2],
                                    y1=w.bbox[3], confidence=w.confidence, block=w.block, line=w.line)
                            for i, w in enumerate(page.words))
        session.add(Record(document_id=document.id, pipeline="auto"))
        return document.id


def extracted(runtime: Runtime, document_id: str) -> dict[str, object]:
    context = StageContext(runtime=runtime, document_id=document_id, pipeline=runtime.config.pipeline("auto"))
    extract_stage(context, ExtractParams())
    with runtime.db.session() as session:
        record = session.scalars(select(Record).where(Record.document_id == document_id)).one()
        return {row.name: row.value for row in record.fields}


def test_a_correction_teaches_the_next_document(runtime: Runtime) -> None:
    first, second = unusual_supplier([drawn("invoice", "it", "classic", seed=s) for s in (21, 22)], VAT)
    first_id, second_id = store(runtime, first.pages, "first"), store(runtime, second.pages, "second")

    got = extracted(runtime, first_id)
    assert got.get("supplier_vat") == VAT
    assert got.get("invoice_number") != first.fields["invoice_number"]  # "Pratica:" is no label the rules know

    # What PATCH /api/records/{id}/fields does for the reviewer's value, then the hook it calls.
    with runtime.db.session() as session:
        record = session.scalars(select(Record).where(Record.document_id == first_id)).one()
        row = next((r for r in record.fields if r.name == "invoice_number"), None)
        if row is None:
            row = FieldRow(name="invoice_number", machine_value=None)
            record.fields.append(row)
        row.value, row.corrected_by = first.fields["invoice_number"], "anna"
        learn_from_correction(session, record, "invoice_number", first.fields["invoice_number"])
    with runtime.db.session() as session:
        hint = session.scalars(select(SupplierHint).where(SupplierHint.supplier_vat == VAT)).one()
        assert hint.field == "invoice_number" and hint.label == "pratica"

    got = extracted(runtime, second_id)
    assert got["invoice_number"] == second.fields["invoice_number"]


def reviewer(runtime: Runtime) -> tuple[TestClient, dict[str, str]]:
    create_user(runtime.db, "anna", PASSWORD, "reviewer")
    client = TestClient(create_app(runtime, InlineDispatcher(runtime)))
    token = client.post("/api/token", data={"username": "anna", "password": PASSWORD}).json()["access_token"]
    return client, {"Authorization": f"Bearer {token}"}


def first_waits_for_review(runtime: Runtime) -> tuple[Item, Item, str, str, int]:
    """Two documents of the unusual supplier: the first extracted and waiting for review, the second only stored.

    Returns (first, second, the second's document id, the first's record id, its version).
    """
    first, second = unusual_supplier([drawn("invoice", "it", "classic", seed=s) for s in (21, 22)], VAT)
    first_id, second_id = store(runtime, first.pages, "first"), store(runtime, second.pages, "second")
    extracted(runtime, first_id)
    with runtime.db.session() as session:
        record = session.scalars(select(Record).where(Record.document_id == first_id)).one()
        record.status = "needs_review"
        return first, second, second_id, record.id, record.version


def test_correcting_and_approving_through_the_api_teaches_labels(
        runtime_factory: Callable[..., Runtime], database_url: str) -> None:
    runtime = runtime_factory(database_url=database_url)
    first, second, second_id, record_id, version = first_waits_for_review(runtime)
    client, headers = reviewer(runtime)

    patched = client.patch(f"/api/records/{record_id}/fields", headers=headers,
                           json={"version": version, "fields": {"invoice_number": first.fields["invoice_number"]}})
    assert patched.status_code == 200, patched.text
    approved = client.post(f"/api/records/{record_id}/approve", json={"version": patched.json()["version"]},
                           headers=headers)
    assert approved.status_code == 200, approved.text

    with runtime.db.session() as session:
        hints = {h.field: h for h in session.scalars(select(SupplierHint).where(SupplierHint.supplier_vat == VAT))}
        # The typed value is remembered with its place; the approved IBAN, printed after a label no lexicon
        # knows, by its label only. Fields under labels the rules know teach nothing.
        assert (hints["invoice_number"].label, hints["invoice_number"].corrections) == ("pratica", 1)
        assert len(hints["invoice_number"].box) == 4
        assert hints["iban"].box == [] and hints["iban"].corrections == 0 and not hints["iban"].label_above
        assert hints["iban"].label and "iban" in hints["iban"].label
        assert set(hints) == {"invoice_number", "iban"}

    got = extracted(runtime, second_id)
    assert got["invoice_number"] == second.fields["invoice_number"]
    assert got["iban"] == second.fields["iban"]
    assert got["customer_name"] == second.fields["customer_name"]
    with runtime.db.session() as session:
        row = session.scalars(select(FieldRow).join(Record).where(Record.document_id == second_id,
                                                                  FieldRow.name == "invoice_number")).one()
        assert row.source == "memory"  # the review screen tells the reviewer where the value came from


def test_reviewers_see_what_was_taught_and_only_an_administrator_makes_quinte_forget(
        runtime_factory: Callable[..., Runtime], database_url: str) -> None:
    runtime = runtime_factory(database_url=database_url)
    first, second, second_id, record_id, version = first_waits_for_review(runtime)
    client, headers = reviewer(runtime)
    create_user(runtime.db, "root", PASSWORD, "admin")
    admin = {"Authorization": "Bearer " + client.post("/api/token", data={"username": "root", "password": PASSWORD})
             .json()["access_token"]}
    assert client.get(f"/api/supplier-memory/{VAT}", headers=headers).status_code == 404  # nothing taught yet
    patched = client.patch(f"/api/records/{record_id}/fields", headers=headers,
                           json={"version": version, "fields": {"invoice_number": first.fields["invoice_number"]}})
    client.post(f"/api/records/{record_id}/approve", json={"version": patched.json()["version"]}, headers=headers)

    shown = client.get(f"/api/supplier-memory/{VAT}", headers=headers)
    assert shown.status_code == 200, shown.text
    fields = {f["field"]: f for f in shown.json()["fields"]}
    assert (fields["invoice_number"]["label"], fields["invoice_number"]["learned_from"]) == ("pratica", "correction")
    assert fields["invoice_number"]["example"] == first.fields["invoice_number"]
    assert fields["iban"]["learned_from"] == "approval" and fields["iban"]["box"] is None

    assert client.delete(f"/api/supplier-memory/{VAT}", headers=headers).status_code == 403
    forgotten = client.delete(f"/api/supplier-memory/{VAT}", headers=admin)
    assert forgotten.status_code == 200 and forgotten.json()["forgotten"] == len(fields)
    assert client.get(f"/api/supplier-memory/{VAT}", headers=headers).status_code == 404
    with runtime.db.session() as session:
        [event] = session.scalars(select(Event).where(Event.kind == "supplier_memory.forgotten")).all()
        assert event.actor == "root" and event.data["supplier_vat"] == VAT
        assert {f["field"] for f in event.data["fields"]} == set(fields)  # the audit log keeps what was forgotten
    assert extracted(runtime, second_id).get("invoice_number") != second.fields["invoice_number"]
