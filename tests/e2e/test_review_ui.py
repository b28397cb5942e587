"""The review UI in a real browser (Debian's Chromium via Playwright) against a live uvicorn server."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from sqlalchemy import select, update

from core.queue import InlineDispatcher
from core.runtime import Runtime, build_runtime
from review_ui.app import create_app
from storage.models import Event, FieldRow, Record
from tests.conftest import REPO, free_port, make_settings
from tests.e2e.review_seed import PASSWORD, Seeded, make_users, seed_record

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOTS = os.environ.get("QUINTE_SCREENSHOTS") == "1"
pytestmark = pytest.mark.timeout(120)


@dataclass
class Site:
    url: str
    runtime: Runtime
    records: dict[str, Seeded]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One server for the module: records seeded oldest first in the order the tests take them."""
    runtime = build_runtime(make_settings(tmp_path_factory.mktemp("review-ui")))
    make_users(runtime)
    records = {name: seed_record(runtime, supplier=supplier, number=number, age=timedelta(days=days))
               for name, supplier, number, days in [("keyboard", "Acme", "5573", 9), ("word", "Borealis", "88", 8),
                                                    ("lock", "Cobalt", "17", 7), ("stale", "Delta", "4410", 6),
                                                    ("spare", "Epsilon", "9", 5)]}
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(runtime, InlineDispatcher(runtime)), host="127.0.0.1",
                                           port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield Site(f"http://127.0.0.1:{port}", runtime, records)
    server.should_exit = True
    thread.join(timeout=10)
    runtime.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1440, "height": 900})
    yield ctx
    ctx.close()


def login(page: Page, site: Site, username: str) -> None:
    """Sign in with the keyboard only."""
    page.goto(f"{site.url}/login")
    # The username field takes the focus itself (autofocus); typing before the browser has applied it loses keys,
    # which on a cold browser made the first login of a run fail now and then.
    page.wait_for_function("document.activeElement && document.activeElement.name === 'username'", timeout=10_000)
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)


def field(site: Site, record_id: str, name: str) -> FieldRow:
    with site.runtime.db.session() as session:
        row = session.scalar(select(FieldRow).where(FieldRow.record_id == record_id, FieldRow.name == name))
        assert row is not None
        return row


def record_status(site: Site, record_id: str) -> str:
    with site.runtime.db.session() as session:
        return session.get(Record, record_id).status


def csrf_less_fetch(page: Page, method: str, path: str, body: str) -> int:
    return page.evaluate("""async ([method, path, body]) => (await fetch(path, {method, body,
        headers: {"Content-Type": "application/json"}})).status""", [method, path, body])


def test_keyboard_only_review_from_queue_to_approval(context: BrowserContext, site: Site) -> None:
    page = context.new_page()
    login(page, site, "alice")
    expect(page).to_have_url(f"{site.url}/queue")
    expect(page.locator("#queue-table tbody tr")).to_have_count(5)
    expect(page.locator(".counts")).to_contain_text("Uncertain fields 5")
    if SCREENSHOTS:
        page.screenshot(path=str(REPO / "docs" / "review-queue.png"))
    page.keyboard.press("n")  # the next unclaimed record: the oldest
    rid = site.records["keyboard"].record_id
    page.wait_for_url(f"**/records/{rid}**")
    # The uncertain field has the focus and its evidence box is highlighted on the page.
    expect(page.locator("#f-total_amount")).to_be_focused()
    expect(page.locator('rect.box.active[data-field="total_amount"]')).to_have_count(1)
    page.keyboard.press("Control+A")
    page.keyboard.type("1230.00")
    with page.expect_response(lambda r: r.url.endswith("/fields") and r.status == 200):
        page.keyboard.press("Enter")
    expect(page.locator("#approve")).to_be_focused()  # nothing else needs attention
    page.keyboard.press("Control+Enter")
    page.wait_for_url(f"**/records/{site.records['word'].record_id}**")  # approved, and the next one opened
    assert record_status(site, rid) == "validated"
    corrected = field(site, rid, "total_amount")
    assert (corrected.value, corrected.machine_value, corrected.corrected_by) == ("1230.00", "1220.00", "alice")
    with site.runtime.db.session() as session:
        events = session.execute(select(Event.kind, Event.via, Event.actor).where(Event.record_id == rid)).all()
    assert ("field.corrected", "ui", "alice") in events and ("record.validated", "ui", "alice") in events


def test_clicking_and_dragging_words_fill_the_focused_field(context: BrowserContext, site: Site) -> None:
    page = context.new_page()
    login(page, site, "alice")
    seeded = site.records["word"]
    page.goto(f"{site.url}/records/{seeded.record_id}")
    page.locator("#f-supplier_address").focus()  # a missing field the invoice type expects
    page.locator('rect.word[data-text="Milano"]').click()
    expect(page.locator("#f-supplier_address")).to_have_value("Milano")
    # A drag over "Via Roma" picks both words, in reading order (once the page has its final layout).
    page.wait_for_function("document.querySelector('.page:not([hidden]) img').complete")
    first = page.locator('rect.word[data-text="Via"]').bounding_box()
    last = page.locator('rect.word[data-text="Roma"]').bounding_box()
    assert first and last
    page.mouse.move(first["x"] - 3, first["y"] - 3)
    page.mouse.down()
    page.mouse.move(last["x"] + last["width"] + 3, last["y"] + last["height"] + 3, steps=5)
    page.mouse.up()
    expect(page.locator("#f-supplier_address")).to_have_value("Via Roma")
    with page.expect_response(lambda r: r.url.endswith("/fields") and r.status == 200):
        page.keyboard.press("Enter")
    assert field(site, seeded.record_id, "supplier_address").value == "Via Roma"
    expect(page.locator("#history")).to_contain_text("supplier_address")
    page.locator("#f-invoice_number").focus()
    expect(page.locator('rect.box.active[data-field="invoice_number"]')).to_have_count(1)
    if SCREENSHOTS:
        page.screenshot(path=str(REPO / "docs" / "review-record.png"))


def test_second_reviewer_sees_the_lock_and_cannot_save(browser: Browser, site: Site) -> None:
    rid = site.records["lock"].record_id
    alice_ctx, bob_ctx = browser.new_context(), browser.new_context()
    try:
        alice, bob = alice_ctx.new_page(), bob_ctx.new_page()
        login(alice, site, "alice")
        alice.goto(f"{site.url}/records/{rid}")
        expect(alice.locator("#lock")).to_have_attribute("data-state", "mine")
        login(bob, site, "bob")
        bob.goto(f"{site.url}/records/{rid}")
        expect(bob.locator("#lock")).to_have_attribute("data-state", "other")
        expect(bob.locator("#lock .holder")).to_have_text("alice")
        expect(bob.locator("#f-total_amount")).to_have_attribute("readonly", "")
        # Even straight through the API, with a valid CSRF token, bob's write is refused.
        status, detail = bob.evaluate("""async (rid) => {
            const token = document.querySelector('meta[name="csrf-token"]').content;
            const r = await fetch(`/api/records/${rid}/fields`, {method: "PATCH", headers: {
                "Content-Type": "application/json", "X-CSRF-Token": token}, body: JSON.stringify({
                version: Number(document.querySelector("#record").dataset.version),
                fields: {total_amount: "1.00"}})});
            return [r.status, (await r.json()).detail];
        }""", rid)
        assert status == 423 and "alice" in detail
        assert field(site, rid, "total_amount").value == "1220.00"
    finally:
        alice_ctx.close()
        bob_ctx.close()


def test_a_stale_save_is_refused_with_a_clear_message(context: BrowserContext, site: Site) -> None:
    rid = site.records["stale"].record_id
    page = context.new_page()
    login(page, site, "alice")
    page.goto(f"{site.url}/records/{rid}")
    with site.runtime.db.session() as session:  # someone (or the machine) changed the record meanwhile
        session.execute(update(Record).where(Record.id == rid).values(version=Record.version + 1))
    page.locator("#f-total_amount").fill("9.99")
    page.locator("#f-total_amount").press("Enter")
    expect(page.locator("#message")).to_contain_text("changed since you read it")
    assert field(site, rid, "total_amount").value == "1220.00"


def test_a_user_without_the_role_gets_403(context: BrowserContext, site: Site) -> None:
    page = context.new_page()
    login(page, site, "olga")  # an operator
    expect(page).to_have_url(f"{site.url}/intake")
    expect(page.locator("#intake-table")).to_be_visible()
    response = page.goto(f"{site.url}/queue")
    assert response is not None and response.status == 403
    expect(page.locator("h1")).to_have_text("Not allowed")
    response = page.goto(f"{site.url}/records/{site.records['spare'].record_id}")
    assert response is not None and response.status == 403


def test_a_post_without_the_csrf_token_is_refused(context: BrowserContext, site: Site) -> None:
    rid = site.records["spare"].record_id
    page = context.new_page()
    login(page, site, "alice")
    page.goto(f"{site.url}/queue")
    assert csrf_less_fetch(page, "POST", f"/api/records/{rid}/approve", '{"version": 1}') == 403
    assert csrf_less_fetch(page, "POST", "/queue/next", "") == 403
    assert record_status(site, rid) == "needs_review"
