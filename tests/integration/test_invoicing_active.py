"""Active cycle and API: numbering under concurrency, FatturaPA validity and round trip, roles on the endpoints."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import select

from contracts.models import ContractEntry, PurchaseDocument
from contracts.register import register_contract
from core.queue import InlineDispatcher
from core.runner import run_document_inline
from core.runtime import Runtime
from ingest.intake import accept_file
from invoicing.active import OutgoingRequest, issue_invoice, next_number
from invoicing.billing import SourceInvoiceRequest, SourceRefused, issue_from_source
from invoicing.config import schema_path
from invoicing.duplicates import flag_record
from invoicing.fatturapa_in import parse_xml, validate_fatturapa
from invoicing.models import OutgoingInvoice, Payable
from invoicing.payments import validate_pain001, write_lock
from protocol.models import ProtocolEntry
from review_ui.app import create_app
from review_ui.auth import create_user
from storage.db import Database
from storage.models import Event, Record
from tests.integration.test_invoicing_passive import SUPPLIER, book, paper_record

PASSWORD = "correct horse battery"
REQUEST: dict[str, Any] = {
    "customer": {"name": "Cliente S.p.A.", "vat_id": "IT07654321095", "sdi_code": "ABC1234",
                 "address": {"street": "Via Milano", "number": "5", "postcode": "20100", "city": "Milano",
                             "province": "MI"}},
    "lines": [{"description": "Consulenza", "quantity": "3", "unit_price": "0.333", "vat_rate": "22"},
              {"description": "Formazione esente", "quantity": "1", "unit_price": "100.005", "vat_rate": "0",
               "natura": "N4"}],
    "issue_date": "2026-03-01", "payment_days": 30,
}


def test_counter_gives_every_number_once_under_concurrency(runtime_factory: Callable[..., Runtime],
                                                           database_url: str) -> None:
    runtime = runtime_factory(database_url=database_url)
    got: list[int] = []
    errors: list[BaseException] = []

    def worker(db: Database) -> None:
        try:
            for _ in range(15):
                with db.session() as session:
                    write_lock(session)
                    got.append(next_number(session, "A", 2026))
        except BaseException as exc:
            errors.append(exc)

    databases = [Database(database_url) for _ in range(4)]  # separate engines: separate connections
    threads = [threading.Thread(target=worker, args=(db,)) for db in databases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for db in databases:
        db.dispose()
    assert errors == []
    assert sorted(got) == list(range(1, 61))
    with runtime.db.session() as session:
        assert next_number(session, "A", 2027) == 1  # a new year starts again


def test_issued_invoice_validates_and_round_trips_through_the_intake(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        invoice = issue_invoice(session, OutgoingRequest.model_validate(REQUEST), config=runtime.config,
                                store=runtime.store, schema=schema_path(runtime), actor="admin")
        invoice_id, number, file_name = invoice.id, invoice.number, invoice.file_name
        xml_key, pdf_key, entry_id = invoice.xml_key, invoice.pdf_key, invoice.protocol_entry_id
    assert number == "2026/A/00001" and file_name == "IT03123456786_00001.xml"
    xml = runtime.store.get(xml_key)
    assert validate_fatturapa(parse_xml(xml), schema_path(runtime)) == []
    assert runtime.store.get(pdf_key).startswith(b"%PDF")
    with runtime.db.session() as session:
        entry = session.get(ProtocolEntry, entry_id)
        assert entry.direction == "outgoing" and entry.sender_number == number
    # the generated file read back through the SdI intake gives the same values
    result = accept_file(runtime, "passive_invoices", xml, source="roundtrip", original_name=file_name)
    run_document_inline(runtime, result.document_id, result.first_stage)
    with runtime.db.session() as session:
        record = session.scalars(select(Record).where(Record.document_id == result.document_id)).one()
        values = {row.name: row.value for row in record.fields}
        assert record.status == "validated", record.reasons
    assert values["invoice_number"] == number and values["issue_date"] == "2026-03-01"
    assert values["supplier_vat"] == "IT03123456786" and values["customer_vat"] == "IT07654321095"
    # 3 × 0.333 = 0.999 → 1.00 at 22% (tax 0.22); 100.005 → 100.01 exempt N4
    assert (values["net_amount"], values["vat_amount"], values["total_amount"]) == ("101.01", "0.22", "101.23")
    assert values["due_date"] == "2026-03-31" and values["iban"] == "IT60X0542811101000000123456"
    assert invoice_id


@pytest.fixture
def client(runtime: Runtime) -> TestClient:
    for name, role in [("rita", "reviewer"), ("aldo", "approver"), ("boss", "admin")]:
        create_user(runtime.db, name, PASSWORD, role)
    return TestClient(create_app(runtime, InlineDispatcher(runtime)))


def token(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/api/token", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_api_roles_payment_run_and_outgoing_invoice(client: TestClient, runtime: Runtime) -> None:
    reviewer, approver, admin = token(client, "rita"), token(client, "aldo"), token(client, "boss")
    payable = book(runtime, paper_record(runtime, {**SUPPLIER, "invoice_number": "77", "issue_date": "2026-01-02",
                                                   "due_date": "2026-02-01", "total_amount": "12.34"}))
    assert payable is not None
    body = {"execution_date": "2026-02-01", "due_by": "2026-02-01"}
    assert client.post("/api/payment-runs", json=body, headers=reviewer).status_code == 403
    assert client.get("/api/payables", headers=reviewer).status_code == 403
    listed = client.get("/api/payables?status=open&due_by=2026-02-28", headers=approver).json()["items"]
    assert [p["id"] for p in listed] == [payable.id] and listed[0]["total_amount"] == "12.34"
    assert client.post(f"/api/payables/{payable.id}/hold", json={}, headers=approver).status_code == 409
    held = client.post(f"/api/payables/{payable.id}/hold", json={"reason": "merce contestata"}, headers=approver)
    assert held.json()["status"] == "on_hold"
    assert client.post("/api/payment-runs", json=body, headers=approver).status_code == 409  # nothing to pay
    assert client.post(f"/api/payables/{payable.id}/release", headers=approver).json()["status"] == "open"

    created = client.post("/api/payment-runs", json=body, headers=approver)
    assert created.status_code == 201, created.text
    run = created.json()
    pain = client.get(f"/api/payment-runs/{run['id']}/pain001", headers=approver)
    assert pain.headers["content-type"].startswith("application/xml")
    validate_pain001(pain.content)
    assert client.post(f"/api/payment-runs/{run['id']}/approve", headers=approver).status_code == 409
    assert client.post(f"/api/payment-runs/{run['id']}/approve", headers=admin).json()["approved_by"] == "boss"
    executed = client.post(f"/api/payment-runs/{run['id']}/execute", headers=approver).json()
    assert executed["status"] == "executed"
    assert client.get(f"/api/payables/{payable.id}", headers=approver).json()["status"] == "paid"

    assert client.post("/api/outgoing-invoices", json=REQUEST, headers=reviewer).status_code == 403
    issued = client.post("/api/outgoing-invoices", json=REQUEST, headers=approver)
    assert issued.status_code == 201, issued.text
    invoice = issued.json()
    assert invoice["total_amount"] == "101.23" and invoice["number"] == "2026/A/00001"
    xml = client.get(f"/api/outgoing-invoices/{invoice['id']}/xml", headers=approver)
    assert xml.status_code == 200 and b"FPR12" in xml.content
    assert client.get(f"/api/outgoing-invoices/{invoice['id']}/pdf", headers=approver).content.startswith(b"%PDF")
    second = client.post("/api/outgoing-invoices", json={**REQUEST, "issue_date": date(2026, 3, 2).isoformat()},
                         headers=admin).json()
    assert second["number"] == "2026/A/00002" and second["file_name"] == "IT03123456786_00002.xml"
    bad = {**REQUEST, "lines": [{"description": "x", "unit_price": "1", "vat_rate": "0"}]}
    assert client.post("/api/outgoing-invoices", json=bad, headers=approver).status_code == 422  # Natura missing
    assert client.get("/api/suppliers", headers=approver).json()["items"][0]["vat_id"] == "IT07654321095"


def test_schema_path_defaults_beside_the_checkout(runtime: Runtime, shared_data: Path) -> None:
    assert schema_path(runtime).resolve() == (shared_data / "fatturapa" / "FatturaPA_v1.2.2.xsd").resolve()


def test_approving_a_flagged_duplicate_books_it_in_the_same_request(client: TestClient, runtime: Runtime) -> None:
    reviewer = token(client, "rita")
    fields = {**SUPPLIER, "invoice_number": "9/2026", "issue_date": "2026-04-01", "total_amount": "50.00"}
    first = book(runtime, paper_record(runtime, fields))
    copy = paper_record(runtime, {**fields, "invoice_number": "9/2O26"}, status="processing")
    with runtime.db.session() as session:
        record = session.get(Record, copy)
        flag_record(session, runtime.store, record)
        record.status = "needs_review"
        version = record.version
    approved = client.post(f"/api/records/{copy}/approve", json={"version": version}, headers=reviewer)
    assert approved.status_code == 200, approved.text
    with runtime.db.session() as session:
        payables = session.scalars(select(Payable).order_by(Payable.created_at)).all()
        assert [p.record_id for p in payables] == [first.record_id, copy]
        assert payables[1].created_by == "rita"


# --------------------------------------------------------------------------- invoices from orders and contracts

US = "IT03123456786"  # pipelines.yaml invoicing.company
ADDRESS = {"street": "Via Torino", "number": "8", "postcode": "10121", "city": "Torino", "province": "TO"}


def scanned(runtime: Runtime, doc_type: str, fields: dict[str, Any], *, status: str = "validated",
            lines: list[dict[str, str]] | None = None) -> str:
    """A validated order or contract record entered in its register, as the contracts stage leaves it."""
    record_id = paper_record(runtime, fields, doc_type=doc_type, status=status, lines=lines)
    with runtime.db.session() as session:
        if status != "validated":  # the register takes validated records only: enter it, then reopen it
            session.get(Record, record_id).status = "validated"
            source = register_contract(session, record_id)
            session.get(Record, record_id).status = status
        else:
            source = register_contract(session, record_id)
        assert source is not None
        return source.id


def from_source(runtime: Runtime, kind: str, source_id: str, **body: Any) -> OutgoingInvoice:
    with runtime.db.session() as session:
        return issue_from_source(session, kind, source_id, SourceInvoiceRequest.model_validate(body),
                                 config=runtime.config, store=runtime.store, schema=schema_path(runtime),
                                 actor="aldo")


def refusal(runtime: Runtime, kind: str, source_id: str, **body: Any) -> SourceRefused:
    with pytest.raises(SourceRefused) as caught:
        from_source(runtime, kind, source_id, **body)
    return caught.value


ORDER_LINES = [{"description": "Toner nero", "quantity": "4", "unit_price": "89.95", "amount": "359.80",
                "vat_rate": "22"},
               {"description": "Manuale d'uso", "quantity": "1", "unit_price": "30.00", "amount": "30.00",
                "vat_rate": "4"}]


def test_a_customer_order_is_invoiced_once_with_its_lines(runtime_factory: Callable[..., Runtime],
                                                          database_url: str) -> None:
    runtime = runtime_factory(database_url=database_url)
    order = {"order_number": "PO-20901", "order_date": "2026-02-20", "supplier_name": "Esempio S.r.l.",
             "supplier_vat": US, "customer_name": "Beta S.p.A.", "total_amount": "470.16", "currency": "EUR"}
    pending = scanned(runtime, "order", {**order, "order_number": "PO-1"}, status="needs_review", lines=ORDER_LINES)
    assert "not validated" in str(refusal(runtime, "order", pending))
    ours = scanned(runtime, "order", {**order, "order_number": "ACQ-7", "supplier_vat": "IT07654321095",
                                      "customer_name": "Esempio S.r.l."}, lines=ORDER_LINES)
    placed = refusal(runtime, "order", ours)
    assert placed.unprocessable and "an order we placed is a purchase" in str(placed)

    order_id = scanned(runtime, "order", order, lines=ORDER_LINES)
    missing_vat = refusal(runtime, "order", order_id, customer={"sdi_code": "ABC1234", "address": ADDRESS})
    assert missing_vat.unprocessable and "no VAT id or codice fiscale" in str(missing_vat)
    missing_channel = refusal(runtime, "order", order_id, customer={"vat_id": "07654321095", "address": ADDRESS})
    assert missing_channel.unprocessable and "no SdI code or PEC" in str(missing_channel)

    invoice = from_source(runtime, "order", order_id, issue_date="2026-03-02",
                          customer={"vat_id": "07654321095", "pec": "beta@pec.example.it", "address": ADDRESS})
    assert (invoice.number, invoice.customer_name, invoice.customer_vat) == ("2026/A/00001", "Beta S.p.A.",
                                                                             "IT07654321095")
    assert (invoice.source_kind, invoice.source_id, invoice.source_instalment) == ("order", order_id, 1)
    # 359.80 at 22 % (79.16) + 30.00 at 4 % (1.20): the order's own total
    assert (invoice.net_cents, invoice.vat_cents, invoice.total_cents) == (38980, 8036, 47016)
    assert invoice.protocol_entry_id is not None
    xml = runtime.store.get(invoice.xml_key)
    assert validate_fatturapa(parse_xml(xml), schema_path(runtime)) == []
    root = etree.fromstring(xml)
    assert root.findtext(".//DatiOrdineAcquisto/IdDocumento") == "PO-20901"
    assert root.findtext(".//PECDestinatario") == "beta@pec.example.it"
    assert [d.findtext("Descrizione") for d in root.iter("DettaglioLinee")] == ["Toner nero", "Manuale d'uso"]

    again = refusal(runtime, "order", order_id)
    assert not again.unprocessable and "already invoiced (2026/A/00001)" in str(again)
    further = refusal(runtime, "order", order_id, further=True)
    assert not further.unprocessable and "all 1 instalment(s) are invoiced" in str(further)
    with runtime.db.session() as session:
        assert len(session.scalars(select(OutgoingInvoice)).all()) == 1
        event = session.scalar(select(Event).where(Event.kind == "invoice.issued"))
        assert event.data["source"] == {"kind": "order", "id": order_id, "instalment": 1, "instalments": 1}


def test_a_contract_is_billed_by_instalments_that_add_up(runtime_factory: Callable[..., Runtime],
                                                        database_url: str) -> None:
    runtime = runtime_factory(database_url=database_url)
    contract = {"parties": ["Esempio S.r.l.", "Gamma S.r.l."], "subject": "manutenzione impianti",
                "effective_date": "2026-01-01", "term": "P12M", "amount": "1000.00", "currency": "EUR",
                "party_ids": [{"name": "Gamma S.r.l.", "vat": "IT07654321095"}]}
    contract_id = scanned(runtime, "contract", contract)
    three = {"instalments": 3, "issue_date": "2026-01-31", "vat_rate": "22"}
    assert "no address" in str(refusal(runtime, "contract", contract_id, **three))
    first = from_source(runtime, "contract", contract_id, **three,
                        customer={"sdi_code": "GAMMA01", "address": ADDRESS})
    assert (first.customer_vat, first.source_instalment, first.source_instalments) == ("IT07654321095", 1, 3)
    assert "already invoiced" in str(refusal(runtime, "contract", contract_id, **three))
    # the next instalments find the customer's SdI code and address on the first invoice
    second = from_source(runtime, "contract", contract_id, further=True, issue_date="2026-02-28")
    third = from_source(runtime, "contract", contract_id, further=True, issue_date="2026-03-31")
    assert "all 3 instalment(s)" in str(refusal(runtime, "contract", contract_id, further=True))
    invoices = [first, second, third]
    assert [i.net_cents for i in invoices] == [33333, 33333, 33334]  # exact: the last takes the remainder
    assert sum(i.net_cents for i in invoices) == 100000
    assert [i.total_cents for i in invoices] == [40666, 40666, 40667]
    root = etree.fromstring(runtime.store.get(second.xml_key))
    assert root.findtext(".//DettaglioLinee/Descrizione") == ("Contratto: manutenzione impianti (dal 01/01/2026), "
                                                              "rata 2/3")
    assert root.findtext(".//CodiceDestinatario") == "GAMMA01"


def test_two_requests_for_one_order_issue_one_invoice(runtime_factory: Callable[..., Runtime],
                                                      database_url: str) -> None:
    runtime = runtime_factory(database_url=database_url)
    with runtime.db.session() as session:
        order = PurchaseDocument(kind="order", number="PO-2", supplier_vat=US, customer_name="Beta S.p.A.",
                                 lines=ORDER_LINES[:1], created_by="rita")  # typed in: no record to validate
        session.add(order)
        session.flush()
        order_id = order.id
    body = SourceInvoiceRequest.model_validate({"customer": {"vat_id": "IT07654321095", "sdi_code": "ABC1234",
                                                             "address": ADDRESS}})
    outcomes: list[str] = []

    def worker(db: Database) -> None:
        try:
            with db.session() as session:
                issue_from_source(session, "order", order_id, body, config=runtime.config, store=runtime.store,
                                  schema=schema_path(runtime), actor="aldo")
            outcomes.append("issued")
        except SourceRefused as exc:
            outcomes.append(str(exc))

    databases = [Database(database_url) for _ in range(3)]
    threads = [threading.Thread(target=worker, args=(db,)) for db in databases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for db in databases:
        db.dispose()
    assert len(outcomes) == 3 and outcomes.count("issued") == 1, outcomes
    assert all("already invoiced" in o for o in outcomes if o != "issued")
    with runtime.db.session() as session:
        assert len(session.scalars(select(OutgoingInvoice)).all()) == 1


def test_api_invoices_orders_and_contracts_with_clear_refusals(client: TestClient, runtime: Runtime) -> None:
    reviewer, approver = token(client, "rita"), token(client, "aldo")
    order = client.post("/api/orders", json={"order_number": "PO-77", "supplier_vat": US,
                                             "customer_name": "Beta S.p.A.", "lines": [
                                                 {"description": "Consulenza", "quantity": "2", "unit_price": "500",
                                                  "vat_rate": "22"}]}, headers=reviewer).json()
    url = f"/api/outgoing-invoices/from-order/{order['id']}"
    customer = {"vat_id": "IT07654321095", "sdi_code": "ABC1234", "address": ADDRESS}
    assert client.post(url, json={"customer": customer}, headers=reviewer).status_code == 403
    refused = client.post(url, json={}, headers=approver)
    assert refused.status_code == 422 and "no VAT id or codice fiscale" in refused.json()["detail"]
    issued = client.post(url, json={"customer": customer, "issue_date": "2026-04-01"}, headers=approver)
    assert issued.status_code == 201, issued.text
    assert issued.json()["total_amount"] == "1220.00"
    assert issued.json()["source"] == {"kind": "order", "id": order["id"], "instalment": 1, "instalments": 1}
    twice = client.post(url, json={"customer": customer}, headers=approver)
    assert twice.status_code == 409 and "already invoiced" in twice.json()["detail"]
    assert client.post("/api/outgoing-invoices/from-order/nope", json={}, headers=approver).status_code == 404

    with runtime.db.session() as session:
        contract = ContractEntry(record_id=paper_record(runtime, {}, doc_type="contract"), subject="licenza",
                                 parties=["Alfa S.r.l.", "Beta S.p.A."], party_ids=[], amount="100.00")
        session.add(contract)
        session.flush()
        contract_url = f"/api/outgoing-invoices/from-contract/{contract.id}"
    ambiguous = client.post(contract_url, json={"customer": customer}, headers=approver)
    assert ambiguous.status_code == 422 and "name it in `party`" in ambiguous.json()["detail"]
    billed = client.post(contract_url, json={"party": "beta spa", "customer": customer}, headers=approver)
    assert billed.status_code == 201, billed.text
    assert billed.json()["customer_name"] == "Beta S.p.A." and billed.json()["total_amount"] == "122.00"
