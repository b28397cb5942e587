"""Page layouts per document type: where headers, tables and totals go, and which words are which field."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from decimal import Decimal

from samples.content import Document, Line
from samples.parties import Party, format_iban
from samples.render import Canvas
from samples.vocab import LABELS, REVERSE_CHARGE, canonical_rate

Parts = list[tuple[str, str | None]]

INVOICE_LAYOUTS = ("classic", "modern", "compact")
ORDER_LABELS = {
    "it": {
        "title": ["ORDINE DI ACQUISTO", "Ordine fornitore", "BUONO D'ORDINE"],
        "number": ["Ordine n.", "Numero ordine", "N. ordine"],
        "date": ["Data ordine", "Data", "del"],
        "delivery": ["Data consegna", "Consegna entro il", "Consegna prevista"],
        "supplier": ["Spett.le fornitore", "Fornitore", "Spett.le"],
        "buyer": ["Committente", "Ordinante", "Acquirente"],
        "total": ["Totale ordine", "Totale complessivo", "TOTALE"],
        "cig": ["CIG", "Codice CIG"],
        "cup": ["CUP", "Codice CUP"],
    },
    "en": {
        "title": ["PURCHASE ORDER", "Purchase Order"],
        "number": ["PO Number", "Order No.", "PO #"],
        "date": ["Order date", "Date"],
        "delivery": ["Delivery date", "Deliver by", "Required by"],
        "supplier": ["Supplier", "Vendor", "To"],
        "buyer": ["Buyer", "Ordered by", "Bill to"],
        "total": ["Order total", "Total", "TOTAL"],
        "cig": ["CIG"],
        "cup": ["CUP"],
    },
}


def lh(size: float, spacing: float = 1.45) -> float:
    """Line height in pixels for a point size at 300 dpi."""
    return size * 300 / 72 * spacing


class Ctx:
    """A document being laid out: its canvas, its content and the label spellings chosen for it."""

    def __init__(self, doc: Document, rng: random.Random, canvas: Canvas) -> None:
        self.doc = doc
        self.rng = rng
        self.c = canvas
        self.style = doc.style
        self.lang = doc.language
        self._labels: dict[str, str] = {}
        self.margin = rng.randint(170, 250)
        self.size = rng.choice([9, 9.5, 10, 10.5])

    @property
    def width(self) -> int:
        return self.c.page.width

    def label(self, key: str, table: dict[str, dict[str, list[str]]] | None = None) -> str:
        """The same spelling every time within one document, chosen at random the first time."""
        if key not in self._labels:
            options = (table or LABELS)[self.lang if (table or LABELS).get(self.lang) else "en"][key]
            self._labels[key] = self.rng.choice(options)
        return self._labels[key]

    def money_parts(self, value: Decimal, field: str | None, *, tag_currency: bool = False) -> Parts:
        before, number, after = self.style.money(value, self.doc.currency)
        currency_field = "currency" if tag_currency else None
        return [(before, currency_field), (number, field), (after, currency_field)]

    def date_parts(self, key: str, value: object, field: str) -> Parts:
        return [(self.label(key), None), (self.style.date(value), field)]  # type: ignore[arg-type]


def party_block(
    ctx: Ctx,
    x: float,
    y: float,
    party: Party,
    role: str,
    *,
    heading: str | None = None,
    align: str = "left",
    name_size: float | None = None,
    contacts: bool = False,
) -> float:
    """Name, address, VAT id and tax code of a party; returns the y below the block."""
    c, size = ctx.c, ctx.size
    if heading:
        c.text(x, y, heading, size=size - 1, align=align)
        y += lh(size - 1)
    name_size = name_size or size + 2
    c.text(x, y + lh(name_size) - lh(size), party.name, size=name_size, bold=True, align=align, field=f"{role}_name")
    y += lh(name_size)
    for line in party.address_lines:
        c.text(x, y, line, size=size, align=align, field=f"{role}_address")
        y += lh(size)
    if party.vat_display:
        c.text(x, y, [(ctx.label("vat_id"), None), (party.vat_display, f"{role}_vat")], size=size, align=align)
        y += lh(size)
    if party.tax_code and party.tax_code != (party.vat or "")[2:]:
        c.text(x, y, [(ctx.label("tax_code"), None), (party.tax_code, f"{role}_tax_code")], size=size, align=align)
        y += lh(size)
    if party.extra_id:
        c.text(x, y, party.extra_id, size=size, align=align)
        y += lh(size)
    if contacts:
        domain = "".join(ch for ch in party.name.split()[0].lower() if ch.isalnum() and ch.isascii()) or "mail"
        tld = {"IT": "it", "DE": "de", "FR": "fr", "ES": "es", "GB": "co.uk"}.get(party.country, "com")
        prefix = {"IT": 39, "DE": 49, "FR": 33, "ES": 34, "GB": 44, "US": 1}.get(party.country, 39)
        phone = f"+{prefix} {ctx.rng.randint(10, 99)} {ctx.rng.randint(1000000, 9999999)}"
        c.text(x, y, f"Tel. {phone} - info@{domain}.{tld}", size=size - 1, align=align)
        y += lh(size)
    return y


# --- invoices and credit notes -----------------------------------------------------------------------------


def title_key(doc: Document) -> str:
    return "credit_note" if doc.doc_type == "credit_note" else "invoice"


def number_key(doc: Document) -> str:
    return "cn_number" if doc.doc_type == "credit_note" else "number"


def meta_items(ctx: Ctx, *, with_due: bool) -> list[tuple[str, Parts]]:
    """(label, value parts) for the number, dates and references of an invoice."""
    doc = ctx.doc
    items: list[tuple[str, Parts]] = [
        (ctx.label(number_key(doc)), [(doc.number, "invoice_number")]),
        (ctx.label("date"), [(ctx.style.date(doc.issue_date), "issue_date")]),  # type: ignore[arg-type]
    ]
    if with_due and doc.due_date:
        items.append((ctx.label("due_date"), [(ctx.style.date(doc.due_date), "due_date")]))
    if doc.order_reference:
        items.append((ctx.label("order_ref"), [(doc.order_reference, "order_reference")]))
    if ctx.style.currency_style == "none":
        items.append((ctx.label("currency"), [(doc.currency, "currency")]))
    return items


def draw_meta(
    ctx: Ctx, x: float, y: float, items: list[tuple[str, Parts]], mode: str, width: float | None = None
) -> float:
    """Meta data as label-left rows, label-above boxes, or one inline sentence."""
    c, size = ctx.c, ctx.size
    if mode == "rows":
        column = max(c.width_of(label + ":", size, True) for label, _ in items) + 40
        for label, parts in items:
            c.text(x, y, label + ":", size=size, bold=True)
            c.text(x + column, y, parts, size=size)
            y += lh(size)
        return y
    if mode == "boxes":
        width = width or (ctx.width - 2 * ctx.margin)
        box_w = width / len(items)
        top = y - lh(size)
        for i, (label, parts) in enumerate(items):
            left = x + i * box_w
            c.rect(left, top, left + box_w - 20, top + lh(size) * 2.6, outline=0, width=3)
            c.text(left + 25, top + lh(size) * 0.95, label, size=size - 1.5)
            c.text(left + 25, top + lh(size) * 2.15, parts, size=size + 0.5, bold=True)
        return top + lh(size) * 3.6
    # inline: "Fattura n. 12 del 01/02/2025" keeps the number and date on one line
    first, second = items[0], items[1]
    parts: Parts = [(first[0], None), *first[1], (second[0] if second[0] != "del" else "del", None), *second[1]]
    c.text(x, y, parts, size=size + 1, bold=True)
    y += lh(size + 1)
    for label, value in items[2:]:
        c.text(x, y, [(label + ":", None), *value], size=size)
        y += lh(size)
    return y


def rate_text(ctx: Ctx, line: Line) -> str:
    rate = canonical_rate(line.vat_rate)
    if line.natura and ctx.lang == "it":
        return f"{rate}% {line.natura}" if ctx.rng.random() < 0.5 else line.natura
    return f"{rate}%"


def items_table(ctx: Ctx, y: float, lines: Sequence[Line], *, ruled: str) -> float:
    """The line-items table; ``ruled`` is "fill" (grey header), "rules" (horizontal rules) or "grid"."""
    c, size, m = ctx.c, ctx.size, ctx.margin
    right = ctx.width - m
    span = right - m
    cols = {"qty": m + span * 0.60, "unit": m + span * 0.74, "vat": m + span * 0.84, "amount": right - 15}
    header = [
        (m + 15, ctx.label("description"), "left"),
        (cols["qty"], ctx.label("quantity"), "right"),
        (cols["unit"], ctx.label("unit_price"), "right"),
        (cols["vat"], ctx.label("vat_rate"), "right"),
        (cols["amount"], ctx.label("amount"), "right"),
    ]
    px = size * 300 / 72
    row_h = px * 1.75
    top = y - px * 1.2  # cells hold the baseline 1.2 em below their top edge
    if ruled == "fill":
        c.rect(m, top, right, top + row_h, fill=215, outline=None)
    else:
        c.line(m, top, right, top)
    for x, text, align in header:
        c.text(x, y, text, size=size, bold=True, align=align)
    c.line(m, top + row_h, right, top + row_h, width=2)
    y += row_h + px * 0.15
    for line in lines:
        c.text(m + 15, y, line.description, size=size)
        c.text(cols["qty"], y, ctx.style.quantity(line.quantity), size=size, align="right")
        c.text(cols["unit"], y, ctx.style.number(line.unit_price), size=size, align="right")
        c.text(cols["vat"], y, rate_text(ctx, line), size=size, align="right")
        c.text(cols["amount"], y, ctx.style.number(line.amount), size=size, align="right")
        if ruled == "grid":
            c.line(m, y + row_h - px * 1.2, right, y + row_h - px * 1.2, width=1)
        y += row_h
    bottom = y - px * 1.2
    c.line(m, bottom, right, bottom)
    if ruled == "grid":
        for x in (
            m,
            cols["qty"] - span * 0.09,
            cols["unit"] - span * 0.12,
            cols["vat"] - span * 0.09,
            cols["vat"] + 15,
            right,
        ):
            c.line(x, top, x, bottom, width=2)
    return y + px


def vat_label(ctx: Ctx, rate: Decimal, natura: str | None, *, tag_rate: bool) -> Parts:
    """'IVA 22%', 'Esente art. 10 N4', 'VAT 0%': the rate tagged when it is the invoice's only rate."""
    doc = ctx.doc
    field = "vat_rate" if tag_rate else None
    if natura and ctx.lang == "it":
        text = {"N1": "Escluso art. 15", "N4": "Esente art. 10"}.get(natura, "Non imponibile")
        return [(f"{text} {natura}", None)]
    if doc.extra.get("reverse_charge") and ctx.lang == "it":
        return [("IVA", None), (f"{canonical_rate(rate)}%", field), ("N6.2", None)]
    return [(ctx.label("vat"), None), (f"{canonical_rate(rate)}%", field)]


def totals_rows(ctx: Ctx) -> list[tuple[Parts, Parts, bool]]:
    """(label, value, emphasised) rows: net, VAT per rate, total VAT when several, grand total."""
    doc = ctx.doc
    single = len(doc.vat_rows) == 1
    rows: list[tuple[Parts, Parts, bool]] = [
        ([(ctx.label("net"), None)], ctx.money_parts(doc.net, "net_amount"), False)
    ]
    for row in doc.vat_rows:
        rows.append(
            (
                vat_label(ctx, row.rate, row.natura, tag_rate=single),
                ctx.money_parts(row.vat, "vat_amount" if single else None),
                False,
            )
        )
    if not single:
        total_vat = "Totale IVA" if ctx.lang == "it" else ctx.label("vat")
        rows.append(([(total_vat, None)], ctx.money_parts(doc.vat, "vat_amount"), False))
    rows.append(([(ctx.label("total"), None)], ctx.money_parts(doc.total, "total_amount", tag_currency=True), True))
    return rows


def totals_box(ctx: Ctx, y: float, *, boxed: bool) -> float:
    """Totals as label/value rows at the right, inside a frame or not."""
    c, size = ctx.c, ctx.size
    right = ctx.width - ctx.margin
    left = right - max(900, ctx.width * 0.4)
    rows = totals_rows(ctx)
    top = y - lh(size) * 1.1
    for label, value, strong in rows:
        s = size + 1.5 if strong else size
        if strong and boxed:
            y += lh(size) * 0.4
            c.line(left, y - lh(s) * 0.9, right, y - lh(s) * 0.9, width=2)
        c.text(left + 25, y, label, size=s, bold=strong)
        c.text(right - 25, y, value, size=s, bold=strong, align="right")
        y += lh(s)
    if boxed:
        c.rect(left, top, right, y - lh(size) * 0.6, outline=0, width=3)
    return y + lh(size) * 0.5


def vat_summary(ctx: Ctx, y: float) -> float:
    """A VAT summary table at the left and the grand total large at the right."""
    c, size, m, doc = ctx.c, ctx.size, ctx.margin, ctx.doc
    single = len(doc.vat_rows) == 1
    c.text(m, y, ctx.label("vat_summary"), size=size, bold=True)
    y += lh(size) * 1.2
    cols = (m + 10, m + 650, m + 1000)
    heads = (ctx.label("vat_rate"), ctx.label("net"), ctx.label("vat"))
    for x, head, align in zip(cols, heads, ("left", "right", "right"), strict=True):
        c.text(x, y, head, size=size - 0.5, bold=True, align=align)
    c.line(m, y + lh(size) * 0.35, cols[2] + 10, y + lh(size) * 0.35, width=2)
    y += lh(size) * 1.2
    total_y = y
    for row in doc.vat_rows:
        label = vat_label(ctx, row.rate, row.natura, tag_rate=single)
        c.text(cols[0], y, label, size=size - 0.5)
        c.text(cols[1], y, ctx.style.number(row.net), size=size - 0.5, align="right")
        c.text(cols[2], y, ctx.style.number(row.vat), size=size - 0.5, align="right")
        y += lh(size)
    right = ctx.width - m
    lines = [(ctx.label("net"), doc.net, "net_amount"), (ctx.label("vat"), doc.vat, "vat_amount")]
    for label, value, field in lines:
        c.text(right - 520, total_y, label, size=size, align="right")
        c.text(right, total_y, ctx.money_parts(value, field), size=size, align="right")
        total_y += lh(size)
    total_y += lh(size) * 0.6
    c.text(right, total_y, ctx.label("total"), size=size + 1, bold=True, align="right")
    total_y += lh(size + 6)
    c.text(
        right,
        total_y,
        ctx.money_parts(doc.total, "total_amount", tag_currency=True),
        size=size + 6,
        bold=True,
        align="right",
    )
    return max(y, total_y) + lh(size)


def payment_lines(ctx: Ctx, *, with_due: bool) -> list[Parts]:
    """The payment terms, due date and IBAN lines, as (part, field) runs."""
    doc = ctx.doc
    lines: list[Parts] = []
    if doc.payment_terms:
        lines.append([(ctx.label("payment") + ":", None), (doc.payment_terms, "payment_terms")])
    if with_due and doc.due_date:
        lines.append([(ctx.label("due_date") + ":", None), (ctx.style.date(doc.due_date), "due_date")])
    if doc.iban:
        lines.append([(ctx.label("iban") + ":", None), (format_iban(doc.iban, ctx.rng), "iban")])
    return lines


def lines_width(ctx: Ctx, lines: Sequence[Parts]) -> float:
    """The printed width of the widest of the lines."""
    return max((ctx.c.width_of(" ".join(p for p, _ in line if p.strip()), ctx.size) for line in lines), default=0.0)


def payment_block(ctx: Ctx, x: float, y: float, *, with_due: bool, lines: Sequence[Parts] | None = None) -> float:
    c, size = ctx.c, ctx.size
    for line in payment_lines(ctx, with_due=with_due) if lines is None else lines:
        c.text(x, y, line, size=size)
        y += lh(size)
    return y


def notes(ctx: Ctx, y: float) -> float:
    """Credit-note reference and reverse-charge wording, wrapped across the page."""
    c, size, doc, m = ctx.c, ctx.size, ctx.doc, ctx.margin
    sentences = []
    if doc.doc_type == "credit_note":
        ref_date = ctx.style.date(doc.extra["reference_date"])
        sentences.append(
            f"{ctx.label(title_key(doc)).capitalize()} {ctx.label('reference')} "
            f"{doc.extra['reference_number']} - {ref_date}"
        )
    if doc.extra.get("reverse_charge"):
        sentences.append(REVERSE_CHARGE[ctx.lang])
    if ctx.lang == "it" and ctx.rng.random() < 0.4:
        sentences.append("Copia di cortesia: l'originale della fattura è disponibile nel Sistema di Interscambio.")
    for sentence in sentences:
        for line in c.wrap(sentence, ctx.width - 2 * m, size - 1):
            c.text(m, y, line, size=size - 1)
            y += lh(size - 1)
    return y


def invoice_classic(ctx: Ctx) -> None:
    """Supplier top left, customer boxed at right, inline number and date, grey table header, totals box."""
    doc, c, m, size = ctx.doc, ctx.c, ctx.margin, ctx.size
    assert doc.supplier and doc.customer
    y = party_block(ctx, m, m + 60, doc.supplier, "supplier", name_size=size + 6, contacts=True)
    cx = ctx.width * 0.55
    cy = party_block(ctx, cx + 40, m + 400, doc.customer, "customer", heading=ctx.label("customer"))
    c.rect(cx, m + 400 - lh(size) * 1.3, ctx.width - m, cy - lh(size) * 0.5, outline=0, width=2)
    y = max(y, cy) + lh(size) * 1.5
    c.text(m, y, ctx.label(title_key(doc)), size=size + 8, bold=True)
    y += lh(size + 8)
    y = draw_meta(ctx, m, y, meta_items(ctx, with_due=False), "inline") + lh(size)
    y = items_table(ctx, y, doc.lines, ruled="fill")
    pay_y = y
    y = totals_box(ctx, y, boxed=True)
    lines = payment_lines(ctx, with_due=True)
    # The payment lines sit left of the totals box; a long one ("Bankverbindung IBAN: DE42 3274 …") would print
    # over the box's labels, so then the whole block goes under the box instead.
    if m + lines_width(ctx, lines) > ctx.width - ctx.margin - max(900, ctx.width * 0.4) - lh(size):
        y = payment_block(ctx, m, y + lh(size) * 0.5, with_due=True, lines=lines)
    else:
        payment_block(ctx, m, pay_y, with_due=True, lines=lines)
    notes(ctx, y + lh(size))


def invoice_modern(ctx: Ctx) -> None:
    """Title top left, supplier right-aligned, label-above meta boxes, ruled table, VAT summary table."""
    doc, c, m, size = ctx.doc, ctx.c, ctx.margin, ctx.size
    assert doc.supplier and doc.customer
    title = ctx.label(title_key(doc))
    y = party_block(ctx, ctx.width - m, m + 60, doc.supplier, "supplier", align="right", name_size=size + 4)
    # A long title ("FATTURA ELETTRONICA - COPIA DI CORTESIA") would print over the supplier's block on its
    # right; it then goes under that block, as a real template would wrap it.
    title_right = m + c.width_of(title, size + 12, bold=True) + lh(size)
    supplier_left = ctx.width - m - c.width_of(doc.supplier.name, size + 4, bold=True)
    if title_right < supplier_left:
        c.text(m, m + 120, title, size=size + 12, bold=True)
    else:
        y += lh(size + 12) * 1.5
        c.text(m, y, title, size=size + 12, bold=True)
        y += lh(size) * 1.5
    y = max(y, m + 400)
    y = party_block(ctx, m, y + lh(size), doc.customer, "customer", heading=ctx.label("customer"))
    y += lh(size) * 2.2
    y = draw_meta(ctx, m, y, meta_items(ctx, with_due=True), "boxes")
    y = items_table(ctx, y, doc.lines, ruled="rules") + lh(size) * 0.5
    y = vat_summary(ctx, y)
    y = payment_block(ctx, m, y, with_due=False) + lh(size)
    notes(ctx, y)


def invoice_compact(ctx: Ctx) -> None:
    """Centred supplier header, customer left and label-colon meta right, grid table, plain totals."""
    doc, c, m, size = ctx.doc, ctx.c, ctx.margin, ctx.size
    supplier = doc.supplier
    assert supplier and doc.customer
    mid = ctx.width / 2
    c.text(mid, m + 80, supplier.name, size=size + 7, bold=True, align="center", field="supplier_name")
    y = m + 80 + lh(size + 4)
    c.text(
        mid,
        y,
        [(supplier.street + ",", "supplier_address"), (supplier.city_line, "supplier_address")],
        size=size,
        align="center",
    )
    y += lh(size)
    ids: Parts = []
    if supplier.vat_display:
        ids += [(ctx.label("vat_id"), None), (supplier.vat_display, "supplier_vat")]
    if supplier.tax_code and supplier.tax_code != (supplier.vat or "")[2:]:
        ids += [("-", None), (ctx.label("tax_code"), None), (supplier.tax_code, "supplier_tax_code")]
    if supplier.extra_id:
        ids += [(supplier.extra_id, None)]
    c.text(mid, y, ids, size=size, align="center")
    y += lh(size) * 0.8
    c.line(m, y, ctx.width - m, y, width=4)
    y += lh(size) * 2.5
    c.text(m, y, ctx.label(title_key(doc)), size=size + 6, bold=True)
    y += lh(size + 6) * 1.2
    left_end = party_block(ctx, m, y, doc.customer, "customer", heading=ctx.label("customer") + ":")
    right_end = draw_meta(ctx, ctx.width * 0.58, y, meta_items(ctx, with_due=True), "rows")
    y = max(left_end, right_end) + lh(size) * 1.5
    y = items_table(ctx, y, doc.lines, ruled="grid")
    y = totals_box(ctx, y, boxed=False)
    y = payment_block(ctx, m, y, with_due=False) + lh(size)
    notes(ctx, y)
    page_label = f"{ctx.label('page')} 1/1"
    c.text(ctx.width - m, c.page.height - m, page_label, size=size - 1, align="right")


INVOICE_DRAWERS: dict[str, Callable[[Ctx], None]] = {
    "classic": invoice_classic,
    "modern": invoice_modern,
    "compact": invoice_compact,
}


# --- orders ------------------------------------------------------------------------------------------------


def order_layout(ctx: Ctx, variant: str) -> None:
    """A purchase order issued by the buyer (the record's customer) to a supplier."""
    doc, c, m, size = ctx.doc, ctx.c, ctx.margin, ctx.size
    assert doc.supplier and doc.customer
    olabel = lambda key: ctx.label("o_" + key, _order_labels())  # noqa: E731
    y = party_block(ctx, m, m + 60, doc.customer, "customer", name_size=size + 5, contacts=variant == "a")
    sy = party_block(ctx, ctx.width * 0.55, y + lh(size) * 2, doc.supplier, "supplier", heading=olabel("supplier"))
    y = sy + lh(size) * 1.5
    c.text(m, y, olabel("title"), size=size + 8, bold=True)
    y += lh(size + 8)
    items: list[tuple[str, Parts]] = [
        (olabel("number"), [(doc.number, "order_number")]),
        (olabel("date"), [(ctx.style.date(doc.issue_date), "order_date")]),  # type: ignore[arg-type]
    ]
    if doc.extra.get("delivery"):
        items.append((olabel("delivery"), [(ctx.style.date(doc.extra["delivery"]), "delivery_date")]))
    if doc.extra.get("cig"):
        items.append((olabel("cig"), [(doc.extra["cig"], "cig")]))
    if doc.extra.get("cup"):
        items.append((olabel("cup"), [(doc.extra["cup"], "cup")]))
    if ctx.style.currency_style == "none":
        items.append((ctx.label("currency"), [(doc.currency, "currency")]))
    y = draw_meta(ctx, m, y + lh(size) * 0.5, items, "rows" if variant == "a" else "boxes") + lh(size)
    y = items_table(ctx, y, doc.lines, ruled="fill" if variant == "a" else "grid")
    rows = totals_rows(ctx)
    rows[-1] = ([(olabel("total"), None)], rows[-1][1], True)
    right, left = ctx.width - m, ctx.width - m - 1250
    for label, value, strong in rows:
        s = size + 1 if strong else size
        c.text(left, y, label, size=s, bold=strong)
        c.text(right, y, value, size=s, bold=strong, align="right")
        y += lh(s)
    y += lh(size) * 2
    signer = doc.customer.representative or ""
    c.text(m, y, "Il responsabile acquisti" if ctx.lang == "it" else "Authorised by", size=size)
    c.text(m, y + lh(size), signer, size=size)


def _order_labels() -> dict[str, dict[str, list[str]]]:
    return {lang: {f"o_{k}": v for k, v in labels.items()} for lang, labels in ORDER_LABELS.items()}


# --- receipts ----------------------------------------------------------------------------------------------

RECEIPT_WORDS = {
    "it": (
        "DOCUMENTO COMMERCIALE",
        "di vendita o prestazione",
        "TOTALE COMPLESSIVO",
        "di cui IVA",
        "Pagamento contante",
        "Pagamento elettronico",
        "DOC.N.",
        "P.IVA",
    ),
    "de": (
        "KASSENBON",
        "Vielen Dank für Ihren Einkauf",
        "SUMME",
        "enth. MwSt.",
        "Bar",
        "Kartenzahlung",
        "Beleg-Nr.",
        "USt-IdNr.",
    ),
    "fr": (
        "TICKET DE CAISSE",
        "Merci de votre visite",
        "TOTAL TTC",
        "dont TVA",
        "Espèces",
        "Carte bancaire",
        "Ticket n°",
        "TVA",
    ),
    "es": (
        "FACTURA SIMPLIFICADA",
        "Gracias por su visita",
        "TOTAL",
        "IVA incluido",
        "Efectivo",
        "Tarjeta",
        "Ticket n.º",
        "NIF",
    ),
    "en": ("RECEIPT", "Thank you for your visit", "TOTAL", "incl. VAT", "Cash", "Card", "Receipt no.", "VAT No."),
}


def receipt_layout(ctx: Ctx) -> None:
    """A till receipt on narrow thermal paper, monospaced and centred at the top."""
    doc, c = ctx.doc, ctx.c
    shop = doc.supplier
    assert shop is not None and doc.issue_date is not None
    words = RECEIPT_WORDS[ctx.lang]
    size, m, mid, right = 9, 60, c.page.width / 2, c.page.width - 60
    y = 150.0
    for line in c.wrap(shop.name, c.page.width - 2 * m, size + 1, True):
        c.text(mid, y, line, size=size + 1, bold=True, align="center", field="supplier_name")
        y += lh(size + 1)
    for line in shop.address_lines:
        c.text(mid, y, line, size=size, align="center", field="supplier_address")
        y += lh(size)
    if shop.vat_display:
        c.text(mid, y, [(words[7], None), (shop.vat_display, "supplier_vat")], size=size, align="center")
        y += lh(size)
    y += lh(size) * 0.5
    c.text(mid, y, words[0], size=size, bold=True, align="center")
    y += lh(size)
    if ctx.lang == "it":
        c.text(mid, y, words[1], size=size, align="center")
        y += lh(size)
    y += lh(size) * 0.6
    for line in doc.lines:
        label = f"{ctx.style.quantity(line.quantity)} x {line.description}"
        c.text(m, y, label, size=size)
        c.text(right, y, ctx.style.number(line.amount), size=size, align="right")
        y += lh(size)
    c.line(m, y - lh(size) * 0.5, right, y - lh(size) * 0.5, width=2)
    y += lh(size) * 0.6
    c.text(m, y, words[2], size=size + 2, bold=True)
    c.text(
        right, y, ctx.money_parts(doc.total, "total_amount", tag_currency=True), size=size + 2, bold=True, align="right"
    )
    y += lh(size + 2)
    c.text(m, y, words[3], size=size)
    c.text(right, y, ctx.style.number(doc.vat), size=size, align="right")
    y += lh(size) * 1.4
    c.text(m, y, words[4] if doc.extra["paid_by"] == "cash" else words[5], size=size)
    c.text(right, y, ctx.style.number(doc.total), size=size, align="right")
    y += lh(size) * 1.6
    c.text(m, y, [(ctx.style.date(doc.issue_date), "issue_date"), (doc.extra["time"], None)], size=size)
    y += lh(size)
    c.text(m, y, f"{words[6]} {doc.number}", size=size)
    y += lh(size) * 1.5
    if ctx.lang != "it":
        c.text(mid, y, words[1], size=size, align="center")
        y += lh(size)
    if ctx.style.currency_style == "none":
        c.text(mid, y, [(ctx.label("currency"), None), (doc.currency, "currency")], size=size, align="center")
        y += lh(size)
    c.page.height = int(y + 200)


# --- contracts ---------------------------------------------------------------------------------------------

BOILERPLATE = {
    "it": [
        (
            "Obblighi del Fornitore",
            "Il Fornitore si impegna a eseguire le prestazioni a regola d'arte, con "
            "personale qualificato e mezzi propri, nel rispetto delle norme vigenti in materia di salute e "
            "sicurezza sul lavoro e delle istruzioni ragionevolmente impartite dal Cliente.",
        ),
        (
            "Obblighi del Cliente",
            "Il Cliente si impegna a consentire l'accesso ai propri locali negli orari "
            "concordati, a fornire le informazioni necessarie e a corrispondere il corrispettivo nei termini "
            "pattuiti, previo ricevimento di regolare fattura elettronica.",
        ),
        (
            "Riservatezza",
            "Le parti si obbligano a mantenere riservate tutte le informazioni di natura tecnica, "
            "commerciale e organizzativa di cui vengano a conoscenza nell'esecuzione del presente contratto, "
            "anche successivamente alla sua cessazione, per un periodo di cinque anni.",
        ),
        (
            "Trattamento dei dati personali",
            "Le parti si danno reciprocamente atto che i dati personali "
            "saranno trattati in conformità al Regolamento (UE) 2016/679 e al D.Lgs. 196/2003, esclusivamente "
            "per le finalità connesse all'esecuzione del contratto.",
        ),
        (
            "Penali",
            "In caso di ritardo nell'esecuzione delle prestazioni imputabile al Fornitore, il Cliente "
            "potrà applicare una penale pari allo 0,5 per mille del corrispettivo annuo per ogni giorno di "
            "ritardo, fino a un massimo del 10 per cento.",
        ),
        (
            "Recesso",
            "Ciascuna parte potrà recedere dal contratto per giusta causa mediante comunicazione "
            "scritta a mezzo posta elettronica certificata, fermo restando il pagamento delle prestazioni già "
            "eseguite alla data di efficacia del recesso.",
        ),
        (
            "Cessione del contratto",
            "È fatto divieto al Fornitore di cedere, in tutto o in parte, il presente "
            "contratto senza il preventivo consenso scritto del Cliente, a pena di nullità della cessione.",
        ),
        (
            "Comunicazioni",
            "Tutte le comunicazioni relative al presente contratto dovranno essere effettuate "
            "per iscritto agli indirizzi di posta elettronica certificata indicati dalle parti.",
        ),
    ],
    "en": [
        (
            "Supplier's obligations",
            "The Supplier shall perform the services with due skill and care, using "
            "qualified personnel, in accordance with good industry practice and all applicable laws, and shall "
            "comply with the reasonable instructions of the Customer.",
        ),
        (
            "Customer's obligations",
            "The Customer shall provide the Supplier with timely access to its premises, "
            "information and personnel as reasonably required, and shall pay all undisputed invoices within "
            "thirty days of receipt.",
        ),
        (
            "Confidentiality",
            "Each party shall keep confidential all technical and commercial information "
            "disclosed by the other party under this Agreement and shall not use it for any purpose other than "
            "the performance of this Agreement, for five years after its termination.",
        ),
        (
            "Data protection",
            "The parties shall process personal data in accordance with Regulation (EU) "
            "2016/679 and shall enter into any data processing agreement required by applicable law.",
        ),
        (
            "Liability",
            "Neither party shall be liable for any indirect or consequential loss. The total "
            "liability of either party under this Agreement shall not exceed the fees paid in the twelve months "
            "preceding the claim.",
        ),
        (
            "Termination for cause",
            "Either party may terminate this Agreement with immediate effect by written "
            "notice if the other party commits a material breach which is not remedied within thirty days.",
        ),
        (
            "Assignment",
            "Neither party may assign or transfer this Agreement without the prior written consent "
            "of the other party, such consent not to be unreasonably withheld.",
        ),
        (
            "Notices",
            "Any notice under this Agreement shall be in writing and delivered by hand, by registered "
            "mail or by email to the addresses stated above.",
        ),
    ],
}


class Flow:
    """Running text down the page that breaks onto a new page with a page-number footer."""

    def __init__(self, ctx: Ctx, size: float) -> None:
        self.ctx = ctx
        self.size = size
        self.y = float(ctx.margin + 100)
        self.page_no = 1

    @property
    def bottom(self) -> float:
        return self.ctx.c.page.height - self.ctx.margin - 150

    def break_page(self) -> None:
        self.footer()
        self.ctx.c.new_page()
        self.page_no += 1
        self.y = float(self.ctx.margin + 100)

    def footer(self) -> None:
        c = self.ctx.c
        c.text(
            c.page.width / 2,
            c.page.height - self.ctx.margin,
            f"{self.ctx.label('page')} {self.page_no}",
            size=self.size - 2,
            align="center",
        )

    def paragraph(self, segments: Parts, *, bold: bool = False, indent: float = 0, gap: float = 0.5) -> None:
        """Wrap (text, field) segments to the text width, keeping each word's field."""
        ctx, c = self.ctx, self.ctx.c
        width = c.page.width - 2 * ctx.margin - indent
        tokens: Parts = []
        for text, f in segments:
            for word in text.split():
                # punctuation sticks to the word before it, as it would be printed
                if tokens and word[0] in ".,;:)":
                    tokens[-1] = (tokens[-1][0] + word, tokens[-1][1])
                else:
                    tokens.append((word, f))
        line: Parts = []
        for token in tokens:
            candidate = " ".join(w for w, _ in [*line, token])
            if line and c.width_of(candidate, self.size, bold) > width:
                self._emit(line, indent, bold)
                line = []
            line.append(token)
        if line:
            self._emit(line, indent, bold)
        self.y += lh(self.size) * gap

    def _emit(self, line: Parts, indent: float, bold: bool) -> None:
        if self.y > self.bottom:
            self.break_page()
        self.ctx.c.text(self.ctx.margin + indent, self.y, line, size=self.size, bold=bold)
        self.y += lh(self.size, 1.5)


def contract_layout(ctx: Ctx) -> None:
    """A contract of several articles over two or more pages, signatures at the end."""
    doc = ctx.doc
    first, second = doc.supplier, doc.customer
    assert first and second
    flow = Flow(ctx, ctx.rng.choice([10.5, 11, 11.5]))
    ctx.c.text(ctx.c.page.width / 2, flow.y, doc.extra["title"], size=flow.size + 5, bold=True, align="center")
    flow.y += lh(flow.size + 5) * 1.6
    articles = _contract_articles(ctx)
    boiler = list(BOILERPLATE[ctx.lang])
    ctx.rng.shuffle(boiler)
    for heading, body in _party_paragraphs(ctx, first, second):
        if heading:
            flow.paragraph(heading)
        flow.paragraph(body, gap=0.8)
    order = articles[:3] + [([(h, None)], [(b, None)]) for h, b in boiler] + articles[3:]
    word = "Art." if ctx.lang == "it" else "Clause"
    for number, (heading, body) in enumerate(order, start=1):
        flow.paragraph([(f"{word} {number} -", None), *heading], bold=True, gap=0.2)
        flow.paragraph(body, gap=0.9)
    if flow.page_no == 1:
        flow.break_page()
    place_date = f"{doc.extra['city']}, {ctx.style.date(doc.issue_date)}"  # type: ignore[arg-type]
    flow.paragraph([(place_date, None)], gap=2)
    role_names = ("Il Fornitore", "Il Cliente") if ctx.lang == "it" else ("The Supplier", "The Customer")
    c, m = ctx.c, ctx.margin
    for i, (role, party) in enumerate(zip(role_names, (first, second), strict=True)):
        x = m + i * (c.page.width - 2 * m) / 2
        c.text(x, flow.y, role, size=flow.size, bold=True)
        c.text(x, flow.y + lh(flow.size), party.representative or "", size=flow.size)
        c.line(x, flow.y + lh(flow.size) * 3, x + 800, flow.y + lh(flow.size) * 3, width=2)
    flow.footer()


def _party_paragraphs(ctx: Ctx, first: Party, second: Party) -> list[tuple[Parts | None, Parts]]:
    def describe(party: Party, role: str) -> Parts:
        vat_word = "P.IVA" if ctx.lang == "it" else "VAT No."
        ident = f"{vat_word} {party.vat_display}" if party.vat_display else (party.extra_id or "")
        if ctx.lang == "it":
            return [
                (party.name, "parties"),
                (
                    f", con sede in {party.address}, {ident}, in persona del legale "
                    f'rappresentante {party.representative} (di seguito "il {role}")',
                    None,
                ),
            ]
        return [
            (party.name, "parties"),
            (
                f", with registered office at {party.address}, {ident}, represented "
                f'by {party.representative} (the "{role}")',
                None,
            ),
        ]

    if ctx.lang == "it":
        return [
            ([("Tra", None)], describe(first, "Fornitore")),
            ([("e", None)], describe(second, "Cliente")),
            (None, [("si conviene e si stipula quanto segue.", None)]),
        ]
    return [
        ([("This Agreement is made between", None)], describe(first, "Supplier")),
        ([("and", None)], describe(second, "Customer")),
        (None, [("The parties agree as follows.", None)]),
    ]


def _contract_articles(ctx: Ctx) -> list[tuple[Parts, Parts]]:
    """Subject, term, price and jurisdiction clauses, with the words of each field tagged."""
    doc, style, extra = ctx.doc, ctx.style, ctx.doc.extra
    months, in_years = extra["months"], extra["in_years"]
    it = ctx.lang == "it"
    if in_years:
        years = months // 12
        term = f"{years} {'anni' if it else 'years'}" if years > 1 else ("1 anno" if it else "1 year")
    else:
        term = f"{months} {'mesi' if it else 'months'}"
    if extra["notice_days"]:
        notice = f"{extra['notice_days']} {'giorni' if it else 'days'}"
    else:
        n = extra["notice_months"]
        notice = f"{n} {('mese' if n == 1 else 'mesi') if it else ('month' if n == 1 else 'months')}"
    money = ctx.money_parts(doc.total, "amount", tag_currency=True)
    if ctx.style.currency_style == "none":
        money = [(doc.currency, "currency"), *money]  # a contract always names its currency
    eff, end = style.date(extra["effective"]), style.date(extra["end"])
    if it:
        renewal: Parts = (
            [
                ("Alla scadenza il contratto", None),
                ("si rinnova tacitamente", "auto_renewal"),
                ("per uguale periodo, salvo disdetta da comunicarsi con un preavviso di almeno", None),
                (notice, "notice_period"),
                ("a mezzo PEC.", None),
            ]
            if extra["auto"]
            else [
                ("Il contratto", None),
                ("non è soggetto a rinnovo tacito", "auto_renewal"),
                ("e ciascuna parte può recedere con un preavviso di", None),
                (notice, "notice_period"),
                (".", None),
            ]
        )
        return [
            (
                [("Oggetto", None)],
                [
                    ("Il presente contratto ha per oggetto", None),
                    (doc.extra["subject"], "subject"),
                    ("secondo le specifiche tecniche allegate.", None),
                ],
            ),
            (
                [("Durata", None)],
                [
                    ("Il contratto ha efficacia dal", None),
                    (eff, "effective_date"),
                    ("e durata di", None),
                    (term, "term"),
                    (", fino al", None),
                    (end, "end_date"),
                    (".", None),
                    *renewal,
                ],
            ),
            (
                [("Corrispettivo", None)],
                [
                    ("Per le prestazioni il Cliente corrisponderà al Fornitore l'importo complessivo di", None),
                    *money,
                    ("oltre IVA, da fatturarsi in rate trimestrali posticipate.", None),
                ],
            ),
            (
                [("Foro competente", None)],
                [
                    (
                        "Per ogni controversia relativa al presente contratto è competente in via esclusiva il Foro di",
                        None,
                    ),
                    (extra["city"], "jurisdiction"),
                    (".", None),
                ],
            ),
        ]
    renewal = (
        [
            ("Thereafter this Agreement", None),
            ("shall renew automatically", "auto_renewal"),
            ("for successive periods of equal length unless either party gives at least", None),
            (notice, "notice_period"),
            ("written notice of non-renewal.", None),
        ]
        if extra["auto"]
        else [
            ("This Agreement", None),
            ("shall not renew automatically", "auto_renewal"),
            ("; either party may terminate it on", None),
            (notice, "notice_period"),
            ("written notice.", None),
        ]
    )
    return [
        (
            [("Subject matter", None)],
            [
                ("This Agreement concerns", None),
                (doc.extra["subject"], "subject"),
                ("as described in the attached schedule.", None),
            ],
        ),
        (
            [("Term", None)],
            [
                ("This Agreement takes effect on", None),
                (eff, "effective_date"),
                ("and continues for", None),
                (term, "term"),
                (", until", None),
                (end, "end_date"),
                (".", None),
                *renewal,
            ],
        ),
        (
            [("Fees", None)],
            [
                ("The Customer shall pay the Supplier a total fee of", None),
                *money,
                ("plus VAT, invoiced quarterly in arrears.", None),
            ],
        ),
        (
            [("Governing law and jurisdiction", None)],
            [
                ("This Agreement is governed by Italian law and the courts of", None),
                (extra["city"], "jurisdiction"),
                ("shall have exclusive jurisdiction.", None),
            ],
        ),
    ]
