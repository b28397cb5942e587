"""The module pages without a browser: protocol register, invoicing, contracts and webhooks, roles and CSRF."""

from __future__ import annotations

import datetime as dt
import functools
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from contracts.models import ContractEntry, PurchaseDocument
from core.queue import InlineDispatcher
from core.runtime import Runtime
from invoicing.models import Instalment, Payable, PaymentRun, Supplier
from invoicing.payments import validate_pain001
from protocol.config import registers_of
from protocol.models import ProtocolAnnulment
from protocol.service import RegistrationData, register_entry
from review_ui.app import create_app
from review_ui.auth import hash_password
from storage.models import Event, User
from tests.e2e.review_seed import PASSWORD
from webhooks.models import WebhookDelivery, WebhookSubscription

CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
SUPPLIER_IBAN = "IT02L1234512345123456789012"
USERS = (("alice", "reviewer"), ("olga", "operator"), ("root", "admin"), ("anna", "approver"),
         ("piero", "approver"), ("paola", "protocol_admin"), ("guest", "retired"))


@dataclass
class Site:
    runtime: Runtime
    client: Callable[[], TestClient]


@functools.cache
def password_hash() -> str:
    # Hashed once for every user of every test: argon2 is slow on purpose.
    return hash_password(PASSWORD)


def seed_users(runtime: Runtime) -> None:
    """The review UI's people, two approvers (four eyes), a protocol admin, and "guest" whose role grants nothing
    (e.g. a role left over from an older release)."""
    with runtime.db.session() as session:
        session.add_all(User(username=name, password_hash=password_hash(), role=role) for name, role in USERS)


def make_site(runtime: Runtime) -> Site:
    seed_users(runtime)
    app = create_app(runtime, InlineDispatcher(runtime))
    return Site(runtime, lambda: TestClient(app))


@pytest.fixture
def site(runtime: Runtime) -> Site:
    return make_site(runtime)


def sign_in(site: Site, username: str) -> tuple[TestClient, str]:
    """A client signed in through the form, and its session's CSRF token."""
    client = site.client()
    token = CSRF_FIELD.search(client.get("/login").text).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303
    return client, CSRF_META.search(client.get("/account").text).group(1)


def seed_entry(runtime: Runtime, index: int = 1, correspondent: str = "Acme S.r.l.") -> int:
    register = registers_of(runtime.config)["generale"]
    data = RegistrationData(correspondent=correspondent, subject=f"Fattura n. {index} del 2026-03-02",
                            fingerprint="47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", sender_number=str(index),
                            sender_date="2026-03-02", correspondent_vat="IT01234567897")
    return register_entry(runtime.db, register, data, actor="system").id


def seed_payables(runtime: Runtime, today: dt.date) -> list[str]:
    """Two open invoices due already and one due next year, of a supplier with an IBAN."""
    with runtime.db.session() as session:
        supplier = Supplier(vat_id="IT01234567897", name="Acme S.r.l.", iban=SUPPLIER_IBAN)
        session.add(supplier)
        session.flush()
        ids = []
        for number, due, cents in (("F-101", today - dt.timedelta(days=5), 12200), ("F-102", today, 30500),
                                   ("F-103", today + dt.timedelta(days=365), 999)):
            payable = Payable(record_id=uuid.uuid4().hex, document_id=uuid.uuid4().hex, supplier_id=supplier.id,
                              kind="invoice", number=number, number_norm=number.replace("-", ""),
                              issue_date=today - dt.timedelta(days=30), due_date=due, total_cents=cents)
            session.add(payable)
            session.flush()
            ids.append(payable.id)
        return ids


def seed_contract(runtime: Runtime, today: dt.date) -> str:
    with runtime.db.session() as session:
        entry = ContractEntry(record_id=uuid.uuid4().hex, subject="Manutenzione ascensori",
                              parties=["Comune di Esempio", "Elevatori Rossi S.p.A."], amount="12000.00",
                              currency="EUR", effective_date=today - dt.timedelta(days=300),
                              end_date=today + dt.timedelta(days=40), term="1_years", auto_renewal=True,
                              notice_period="30_days", notice_date=today + dt.timedelta(days=10),
                              renewal_date=today + dt.timedelta(days=41), status="expiring")
        session.add(entry)
        session.flush()
        return entry.id


def seed_delivery(runtime: Runtime) -> tuple[int, int]:
    """A subscription with one dead-lettered delivery."""
    with runtime.db.session() as session:
        subscription = WebhookSubscription(url="https://erp.example.com/hooks/quinte", secret="s3cret",
                                           event_types=["protocol.registered"], created_by="root")
        session.add(subscription)
        session.flush()
        delivery = WebhookDelivery(subscription_id=subscription.id, event_id=41, event_type="protocol.registered",
                                   body="{}", status="dead", attempts=9, last_status_code=503,
                                   last_error="HTTP 503")
        session.add(delivery)
        session.flush()
        return subscription.id, delivery.id


def test_each_page_renders_for_its_roles_and_refuses_the_others(site: Site) -> None:
    today = dt.date.today()
    entry_id = seed_entry(site.runtime)
    seed_contract(site.runtime, today)
    seed_payables(site.runtime, today)
    subscription_id, _delivery = seed_delivery(site.runtime)
    pages = {  # path: (who may open it, who may not)
        "/protocol": (("olga", "paola", "root"), ("guest",)),
        f"/protocol/{entry_id}": (("olga", "paola"), ("guest",)),
        "/contracts": (("olga", "anna"), ("guest",)),
        "/contracts/deadlines": (("alice", "paola"), ("guest",)),
        "/invoicing/payables": (("anna", "root"), ("olga", "alice", "paola")),
        "/invoicing/invoices": (("anna",), ("paola",)),
        "/invoicing/invoices/new": (("piero",), ("alice",)),
        "/webhooks": (("root",), ("anna", "paola")),
        f"/webhooks/{subscription_id}": (("root",), ("anna",)),
    }
    clients = {name: sign_in(site, name)[0] for name in ("olga", "alice", "anna", "piero", "paola", "root", "guest")}
    for path, (allowed, refused) in pages.items():
        for name in allowed:
            page = clients[name].get(path)
            assert page.status_code == 200, (path, name, page.text[:300])
            assert page.headers["content-security-policy"].startswith("default-src 'self'")
        for name in refused:
            page = clients[name].get(path)
            assert page.status_code == 403 and "Not allowed" in page.text, (path, name)
    anonymous = site.client().get("/invoicing/payables", follow_redirects=False)
    assert anonymous.headers["location"] == "/login?next=/invoicing/payables"
    # The nav offers only what the role may open.
    olga_nav = clients["olga"].get("/protocol").text
    assert 'href="/contracts"' in olga_nav and 'href="/invoicing/payables"' not in olga_nav
    assert 'href="/webhooks"' not in olga_nav
    root_nav = clients["root"].get("/protocol").text
    assert all(f'href="{path}"' in root_nav for path in ("/protocol", "/contracts", "/invoicing/payables",
                                                           "/webhooks"))
    # Only a protocol admin sees the annulment form.
    assert "/annul" not in clients["olga"].get(f"/protocol/{entry_id}").text
    assert "/annul" in clients["paola"].get(f"/protocol/{entry_id}").text


def test_protocol_search_marks_annulled_entries_and_exports_the_selection(site: Site) -> None:
    first = seed_entry(site.runtime, 1, "Acme S.r.l.")
    seed_entry(site.runtime, 2, "Borealis <b>S.p.A.</b>")
    with site.runtime.db.session() as session:
        session.add(ProtocolAnnulment(entry_id=first, annulled_by="paola", reason="doppia registrazione",
                                      authorizing_act="Decreto n. 1/2026", row_hash="x" * 64))
    client, _token = sign_in(site, "olga")
    page = client.get("/protocol").text
    assert "0000001/" in page and "0000002/" in page and page.count("ANNULLATO") == 1
    assert "Borealis &lt;b&gt;S.p.A.&lt;/b&gt;" in page  # autoescaped
    only_annulled = client.get("/protocol", params={"annulled": "true", "year": "", "subject": ""}).text
    assert "0000001/" in only_annulled and "0000002/" not in only_annulled
    assert "0000002/" in client.get("/protocol", params={"correspondent": "borealis"}).text
    assert "0000001/" not in client.get("/protocol", params={"correspondent": "borealis"}).text
    export = re.search(r'href="(/api/protocol/export\.csv[^"]*)"',
                       client.get("/protocol", params={"correspondent": "acme"}).text).group(1)
    csv = client.get(export.replace("&amp;", "&"))
    assert csv.status_code == 200 and "Acme" in csv.text and "Borealis" not in csv.text
    bad = client.get("/protocol", params={"year": "twenty"})
    assert bad.status_code == 400 and "year" in bad.text


def test_annulment_through_the_form(runtime_factory: Callable[..., Runtime], database_url: str) -> None:
    site = make_site(runtime_factory(database_url=database_url))
    entry_id = seed_entry(site.runtime)
    form = {"reason": "registrato due volte", "authorizing_act": "Provv. n. 12 del 2026-03-03"}
    admin, token = sign_in(site, "paola")
    url = f"/protocol/{entry_id}/annul"
    assert admin.post(url, data={**form, "confirm": "yes"}).status_code == 403  # no CSRF token
    assert admin.post(url, data={**form, "confirm": "yes", "csrf_token": "forged"}).status_code == 403
    operator, operator_token = sign_in(site, "olga")
    assert operator.post(url, data={**form, "confirm": "yes", "csrf_token": operator_token}).status_code == 403
    confirm = admin.post(url, data={**form, "csrf_token": token})
    assert confirm.status_code == 200 and "Confirm annulment" in confirm.text
    with site.runtime.db.session() as session:
        assert session.scalar(select(ProtocolAnnulment)) is None  # nothing written before the confirmation
    done = admin.post(url, data={**form, "confirm": "yes", "csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/protocol/{entry_id}"
    detail = admin.get(f"/protocol/{entry_id}").text
    assert "ANNULLATO" in detail and "Provv. n. 12 del 2026-03-03" in detail and "paola" in detail
    assert 'action="/protocol/' not in detail  # no second annulment form
    again = admin.post(url, data={**form, "confirm": "yes", "csrf_token": token})
    assert again.status_code == 409 and "already annulled" in again.text
    with site.runtime.db.session() as session:
        annulment = session.scalars(select(ProtocolAnnulment)).one()
        assert (annulment.annulled_by, annulment.reason) == ("paola", form["reason"])
        assert session.scalar(select(Event).where(Event.kind == "protocol.annulled")).actor == "paola"


def _post(client: TestClient, url: str, token: str, **data: str) -> object:
    return client.post(url, data={**data, "csrf_token": token}, follow_redirects=False)


def test_payment_run_prepared_and_approved_by_two_people(runtime_factory: Callable[..., Runtime],
                                                         database_url: str) -> None:
    site = make_site(runtime_factory(database_url=database_url))
    today = dt.date.today()
    due, due_too, later = seed_payables(site.runtime, today)
    anna, anna_token = sign_in(site, "anna")
    piero, piero_token = sign_in(site, "piero")
    page = anna.get("/invoicing/payables", params={"status": "open", "due_by": ""}).text
    assert "F-101" in page and "overdue" in page
    assert "F-103" not in anna.get("/invoicing/payables", params={"due_by": today.isoformat()}).text
    assert anna.post("/invoicing/runs", data={"due_by": today.isoformat(),
                                              "execution_date": today.isoformat()}).status_code == 403
    prepared = _post(anna, "/invoicing/runs", anna_token, due_by=today.isoformat(),
                     execution_date=today.isoformat())
    assert prepared.status_code == 303
    run_url = prepared.headers["location"]
    run_id = run_url.rsplit("/", 1)[-1]
    run_page = anna.get(run_url).text
    assert "another person approves it" in run_page and f"/invoicing/runs/{run_id}/approve" not in run_page
    refused = _post(anna, f"{run_url}/approve", anna_token)  # the service's four-eyes rule, through the form
    assert refused.status_code == 409 and "cannot approve" in refused.text
    assert f"{run_url}/approve" in piero.get(run_url).text
    assert _post(piero, f"{run_url}/approve", piero_token).status_code == 303
    assert _post(anna, f"{run_url}/execute", anna_token).status_code == 303
    run_page = anna.get(run_url).text
    assert "executed" in run_page and "piero" in run_page
    pain_url = re.search(r'href="(/api/payment-runs/[^"]+/pain001)"', run_page).group(1)
    download = anna.get(pain_url)
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    validate_pain001(download.content)
    assert b"Fattura n. F-101" in download.content and b"Fattura n. F-102" in download.content
    with site.runtime.db.session() as session:
        statuses = {p.id: p.status for p in session.scalars(select(Payable))}
        assert statuses == {due: "paid", due_too: "paid", later: "open"}
        run = session.get(PaymentRun, run_id)
        assert (run.created_by, run.approved_by, run.transactions) == ("anna", "piero", 2)
    nothing = _post(anna, "/invoicing/runs", anna_token, due_by=today.isoformat(), execution_date=today.isoformat())
    assert nothing.status_code == 409 and "nothing to pay" in nothing.text


def test_hold_and_release_a_payable(site: Site) -> None:
    first, *_ = seed_payables(site.runtime, dt.date.today())
    anna, token = sign_in(site, "anna")
    held = _post(anna, f"/invoicing/payables/{first}/hold", token, reason="merce non conforme",
                 back="https://evil.example/")
    assert held.status_code == 303 and held.headers["location"] == "/invoicing/payables"
    assert "merce non conforme" in anna.get("/invoicing/payables", params={"status": "on_hold"}).text
    assert _post(anna, f"/invoicing/payables/{first}/hold", token, reason="again").status_code == 409
    assert _post(anna, f"/invoicing/payables/{first}/release", token).status_code == 303
    with site.runtime.db.session() as session:
        assert session.get(Payable, first).status == "open"


INVOICE_FORM = {
    "name": "Cliente Esempio S.p.A.", "vat_id": "IT01234567897", "sdi_code": "ABC1234", "street": "Via Milano",
    "number": "10", "postcode": "20100", "city": "Milano", "province": "MI", "country": "IT",
    "description_0": "Consulenza marzo", "quantity_0": "2", "unit_price_0": "500.00", "vat_rate_0": "22",
    "description_1": "Bollo", "quantity_1": "1", "unit_price_1": "2.00", "vat_rate_1": "0", "natura_1": "N1",
    "payment_days": "30",
}


def test_the_invoice_form_issues_an_invoice(site: Site) -> None:
    anna, token = sign_in(site, "anna")
    assert "Issue invoice" in anna.get("/invoicing/invoices/new").text
    assert anna.post("/invoicing/invoices", data=INVOICE_FORM).status_code == 403
    wrong = _post(anna, "/invoicing/invoices", token, **{**INVOICE_FORM, "vat_id": "", "natura_1": ""})
    assert wrong.status_code == 422
    assert "needs a VAT id or a codice fiscale" in wrong.text and "SdI 00400" in wrong.text
    assert 'value="Cliente Esempio S.p.A."' in wrong.text  # what was typed stays
    issued = _post(anna, "/invoicing/invoices", token, **INVOICE_FORM)
    assert issued.status_code == 303, getattr(issued, "text", "")[:500]
    page = anna.get(issued.headers["location"]).text
    year = dt.date.today().year
    assert f"{year}/A/00001" in page and "1222.00" in page  # 1000 + 22% VAT + 2.00 exempt
    xml_url = re.search(r'href="(/api/outgoing-invoices/[^"]+/xml)"', page).group(1)
    xml = anna.get(xml_url)
    assert xml.status_code == 200 and b"Cliente Esempio S.p.A." in xml.content and b"<Natura>N1</Natura>" in xml.content
    pdf = anna.get(re.search(r'href="(/api/outgoing-invoices/[^"]+/pdf)"', page).group(1))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert f"{year}/A/00001" in anna.get("/invoicing/invoices").text
    assert "/protocol/" in page  # registered in the outgoing protocol, as the API does



def test_a_customer_order_is_invoiced_from_its_page(site: Site) -> None:
    with site.runtime.db.session() as session:
        order = PurchaseDocument(kind="order", number="PO-31", supplier_vat="IT03123456786",
                                 customer_name="Cliente Esempio S.p.A.", total_amount="610.00", lines=[
                                     {"description": "Consulenza", "quantity": "1", "unit_price": "500.00",
                                      "vat_rate": "22"}])
        placed = PurchaseDocument(kind="order", number="ACQ-1", supplier_vat="IT01234567897", lines=[])
        session.add_all([order, placed])
        session.flush()
        order_id = order.id
    anna, token = sign_in(site, "anna")
    listing = anna.get("/invoicing/sources").text
    url = f"/invoicing/sources/order/{order_id}"
    assert "Ordine n. PO-31" in listing and url in listing and "ACQ-1" not in listing  # our own purchases: no
    form = anna.get(url).text
    assert "Cliente Esempio S.p.A." in form and "Consulenza" in form
    address = {key: INVOICE_FORM[key] for key in ("street", "number", "postcode", "city", "province", "country")}
    refused = _post(anna, url, token, vat_id="IT01234567897", **address)
    assert refused.status_code == 422 and "no SdI code or PEC" in refused.text
    assert 'value="IT01234567897"' in refused.text  # what was typed stays
    issued = _post(anna, url, token, vat_id="IT01234567897", sdi_code="ABC1234", **address)
    assert issued.status_code == 303, getattr(issued, "text", "")[:500]
    assert "610.00" in anna.get(issued.headers["location"]).text
    listing = anna.get("/invoicing/sources").text
    assert f"{dt.date.today().year}/A/00001" in listing and url not in listing  # invoiced: no second button
    again = _post(anna, url, token, vat_id="IT01234567897", sdi_code="ABC1234", **address)
    assert again.status_code == 409 and "already invoiced" in again.text


def test_a_partly_paid_payable_shows_its_instalments(site: Site) -> None:
    today = dt.date.today()
    first, *_ = seed_payables(site.runtime, today)
    with site.runtime.db.session() as session:
        payable = session.get(Payable, first)
        payable.instalments = [Instalment(seq=1, due_date=today, amount_cents=6100, status="paid"),
                               Instalment(seq=2, due_date=today + dt.timedelta(days=30), amount_cents=6100)]
    anna, _token = sign_in(site, "anna")
    page = anna.get("/invoicing/payables", params={"status": "open"}).text
    assert "1/2 instalments paid" in page and "partial" in page and "61.00" in page

def test_the_deadline_dashboard_lists_a_seeded_contract(site: Site) -> None:
    seed_contract(site.runtime, dt.date.today())
    client, _token = sign_in(site, "olga")
    page = client.get("/contracts/deadlines").text
    assert "Elevatori Rossi S.p.A." in page and "Last day to send notice" in page and "expiring" in page
    assert page.index("Last day to send notice") < page.index("<td>End</td>")  # soonest first
    assert "Elevatori Rossi" not in client.get("/contracts/deadlines", params={"days": 5}).text
    register = client.get("/contracts").text
    assert "Manutenzione ascensori" in register and "12000.00 EUR" in register
    assert "Manutenzione" not in client.get("/contracts", params={"status": "terminated"}).text


def test_the_webhook_log_shows_a_delivery_and_retry_works(site: Site) -> None:
    subscription_id, delivery_id = seed_delivery(site.runtime)
    root, token = sign_in(site, "root")
    listing = root.get("/webhooks").text
    assert "https://erp.example.com/hooks/quinte" in listing and "s3cret" not in listing
    log = root.get(f"/webhooks/{subscription_id}").text
    assert f'id="delivery-{delivery_id}"' in log and "HTTP 503" in log and "dead" in log
    url = f"/webhooks/{subscription_id}/deliveries/{delivery_id}/retry"
    assert root.post(url).status_code == 403  # no CSRF token
    anna, anna_token = sign_in(site, "anna")
    assert _post(anna, url, anna_token).status_code == 403
    assert _post(root, url, token).status_code == 303
    with site.runtime.db.session() as session:
        assert session.get(WebhookDelivery, delivery_id).status == "pending"
        assert session.scalar(select(Event).where(Event.kind == "webhook.retried")).actor == "root"
    row = root.post(url, headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert row.status_code == 200 and row.text.lstrip().startswith(f'<tr id="delivery-{delivery_id}"')
    assert _post(root, f"/webhooks/{subscription_id}/deliveries/999/retry", token).status_code == 404
