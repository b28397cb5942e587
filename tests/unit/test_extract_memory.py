"""Supplier memory without a database: labels beside and over values, confirmed labels, labels as lexicon."""

from __future__ import annotations

from benchmarks.accuracy import unusual_supplier
from extract.engine import extract
from extract.evaluation import Item, drawn
from extract.memory import DictMemory, canonical, confirmed_hints, hint_from_page


def supplier(layout: str, language: str, seeds: range) -> list[Item]:
    """One supplier's invoices (the first one's VAT id): the number under "Pratica:", the order under "Commessa:"."""
    items = [drawn("invoice", language, layout, seed=s) for s in seeds]
    return unusual_supplier(items, items[0].fields["supplier_vat"])


def taught(first: Item, *names: str) -> DictMemory:
    memory = DictMemory()
    for name in names:
        hint = hint_from_page(first.pages, name, first.fields[name])
        assert hint is not None
        memory.remember(first.fields["supplier_vat"], hint)
    return memory


def test_a_header_over_the_value_is_remembered_and_read_on_the_next_document() -> None:
    first, *rest = supplier("modern", "it", range(7351, 7354))
    hint = hint_from_page(first.pages, "invoice_number", first.fields["invoice_number"])
    assert hint is not None and (hint.label, hint.above) == ("pratica", True)

    memory = taught(first, "invoice_number")
    for item in rest:
        assert "invoice_number" not in extract(item.pages).fields  # no rule knows "Pratica"
        assert extract(item.pages, memory=memory).fields["invoice_number"].value == item.fields["invoice_number"]


def test_a_remembered_label_keeps_the_rules_from_reading_its_row_as_the_customer() -> None:
    first, *rest = supplier("compact", "de", range(7352, 7355))
    misread = rest[0]  # "Pratica: 4491/PA" sits under the customer's address
    assert extract(misread.pages).fields["customer_name"].value.startswith("Pratica")

    fields = extract(misread.pages, memory=taught(first, "invoice_number")).fields
    assert fields["customer_name"].value == misread.fields["customer_name"]
    assert fields["invoice_number"].value == misread.fields["invoice_number"]


def test_approval_teaches_only_unknown_labels_that_lead_back_to_their_value() -> None:
    first = supplier("classic", "it", range(7352, 7353))[0]
    hints = {h.field: h for h in confirmed_hints(first.pages, first.fields, skip={"order_reference"})}
    assert hints["invoice_number"].label == "pratica"
    assert "iban" in (hints["iban"].label or "")
    assert all(h.box == () for h in hints.values())  # labels only: names and amounts move between documents
    assert "issue_date" not in hints  # "Data" is a label the rules know
    assert "vat_rate" not in hints and "total_amount" not in hints
    assert "order_reference" not in hints  # the reviewer's correction teaches that one


def test_a_remembered_iban_is_read_whole_not_as_its_first_groups() -> None:
    assert canonical("iban", "GB58 NWBK 5730 1084") is None
    assert canonical("iban", "GB82 WEST 1234 5698 7654 32") == "GB82WEST12345698765432"


def test_a_supplier_that_omits_a_labelled_field_gets_nothing_read_at_its_place() -> None:
    template: dict[str, str] = {}
    docs = [drawn("invoice", "es", "compact", seed=s, labels=template) for s in range(7351, 7371)]
    with_order = next(d for d in docs if d.fields.get("order_reference") and d.fields.get("supplier_vat"))
    vat = with_order.fields["supplier_vat"]
    without = [d for d in unusual_supplier(docs, vat) if not d.fields.get("order_reference")]
    [first] = unusual_supplier([with_order], vat)
    memory = DictMemory()
    hint = hint_from_page(first.pages, "order_reference", first.fields["order_reference"])
    assert hint is not None and hint.label == "commessa" and len(hint.box) == 4
    memory.remember(vat, hint)
    assert len(without) >= 5
    for item in without:  # no "Commessa:" on the page: what stands at its place (a date, say) is no order reference
        assert "order_reference" not in extract(item.pages, memory=memory).fields


def test_party_identifiers_are_not_taught_by_their_label() -> None:
    first = supplier("classic", "it", range(7352, 7353))[0]
    hints = confirmed_hints(first.pages, first.fields, skip=set())
    assert not {"supplier_vat", "customer_vat", "supplier_tax_code", "customer_tax_code"} & {h.field for h in hints}
