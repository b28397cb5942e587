"""Test data for the review UI: users, and records made straight in the database with a real page image and words."""

from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from core.runtime import Runtime
from review_ui.auth import create_user
from storage.models import Document, FieldRow, Page, Record, WordRow

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
PASSWORD = "correct-horse-battery"
WIDTH, HEIGHT = 1240, 1754


@dataclass
class Seeded:
    record_id: str
    document_id: str
    words: dict[str, tuple[int, int, int, int]]


def make_users(runtime: Runtime) -> None:
    for name, role in (("alice", "reviewer"), ("bob", "reviewer"), ("olga", "operator"), ("root", "admin")):
        create_user(runtime.db, name, PASSWORD, role)


def _lines(supplier: str, number: str, total: str) -> list[str]:
    return [f"{supplier} S.r.l.", "Via Roma 1, 20100 Milano", "P.IVA IT01234567897", "",
            f"Fattura n. {number}", "Data 2026-03-14", "", "Descrizione Quantità Prezzo Importo",
            "Consulenza 2 500.00 1000.00", "", "Imponibile 1000.00", "IVA 22% 220.00", f"Totale EUR {total}"]


def render_page(lines: list[str]) -> tuple[bytes, list[tuple[str, tuple[int, int, int, int], int]]]:
    """A white A4 page at 150 dpi with the lines drawn on it, and every word's box in its pixels."""
    image = Image.new("L", (WIDTH, HEIGHT), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 30)
    words: list[tuple[str, tuple[int, int, int, int], int]] = []
    y = 120
    for number, line in enumerate(lines):
        x = 110
        for word in line.split():
            x0, y0, x1, y1 = draw.textbbox((x, y), word, font=font)
            draw.text((x, y), word, font=font, fill=0)
            words.append((word, (x0, y0, x1, y1), number))
            x = x1 + 16
        y += 56
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue(), words


def seed_record(runtime: Runtime, *, supplier: str = "Acme", number: str = "5573", total: str = "1220.00",
                age: timedelta = timedelta(hours=2), low: tuple[str, ...] = ("total_amount",)) -> Seeded:
    """A needs_review invoice record: fields with evidence boxes; those named in ``low`` are uncertain."""
    png, words = render_page(_lines(supplier, number, total))
    boxes = {text: box for text, box, _line in words}
    sha = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
    image_key = f"pages/{sha}/1.png"
    runtime.store.put(image_key, png, content_type="image/png")
    runtime.store.put(f"originals/{sha}", png, content_type="image/png")
    created = datetime.now(UTC) - age

    def field(name: str, value: Any, word: str | None, confidence: float) -> FieldRow:
        box = boxes.get(word) if word else None
        return FieldRow(name=name, value=value, machine_value=value, confidence=confidence,
                        page=1 if box else None, bbox=list(box) if box else None, source="rules")

    values = {"supplier_name": (f"{supplier} S.r.l.", f"{supplier}", 0.97),
              "supplier_vat": ("IT01234567897", "IT01234567897", 0.96),
              "invoice_number": (number, number, 0.95), "issue_date": ("2026-03-14", "2026-03-14", 0.93),
              "net_amount": ("1000.00", "Imponibile", 0.92), "total_amount": (total, total, 0.97),
              "currency": ("EUR", "EUR", 0.99)}
    fields = [field(name, value, word, 0.41 if name in low else conf)
              for name, (value, word, conf) in values.items()]
    reasons = [f"{name} is uncertain (0.41 < 0.90)" for name in low]
    with runtime.db.session() as session:
        document = Document(sha256=sha, pipeline="passive_invoices", source=f"inbox/invoices/{supplier}-{number}.png",
                            original_name=f"{supplier}-{number}.png", media_type="image/png", size=len(png),
                            object_key=f"originals/{sha}", page_count=1, created_at=created)
        session.add(document)
        session.flush()
        page = Page(document_id=document.id, number=1, width=WIDTH, height=HEIGHT, image_key=image_key,
                    text_source="ocr", mean_confidence=0.9, cleanup={})
        page.words = [WordRow(seq=i, text=text, x0=box[0], y0=box[1], x1=box[2], y1=box[3], confidence=0.9,
                              block=0, line=line) for i, (text, box, line) in enumerate(words)]
        session.add(page)
        record = Record(document_id=document.id, pipeline="passive_invoices", doc_type="invoice",
                        doc_type_confidence=0.95, status="needs_review",
                        text="\n".join(_lines(supplier, number, total)),
                        lines=[{"description": "Consulenza", "quantity": "2", "unit_price": "500.00",
                                "amount": "1000.00", "vat_rate": "22"}],
                        checks=[], reasons=reasons, created_at=created, updated_at=created, fields=fields)
        session.add(record)
        session.flush()
        return Seeded(record.id, document.id, boxes)
