"""The visible protocol stamp on the first page of an archived PDF copy; the original is never touched."""

from __future__ import annotations

import io
from datetime import UTC

from pypdf import PdfReader, PdfWriter
from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.pdf_boxes import shown_size, visible_box
from protocol.models import ProtocolEntry
from protocol.service import ROME, format_number
from storage.models import Document, Page
from storage.objects import ObjectStore

PDF = "application/pdf"
_RED = Color(0.7, 0.05, 0.05)


def stamp_lines(entry: ProtocolEntry, administration_name: str = "") -> list[str]:
    """The stamp's text: administration and AOO, register, number, date (art. 55)."""
    registered = entry.registered_at if entry.registered_at.tzinfo else entry.registered_at.replace(tzinfo=UTC)
    local = registered.astimezone(ROME)
    title = "PROTOCOLLO IVA" if entry.kind == "iva" else "PROTOCOLLO"
    return [
        f"{administration_name or entry.administration} - AOO {entry.aoo}",
        f"{title} - registro {entry.register}",
        f"N. {format_number(entry.number)} del {local:%d/%m/%Y %H:%M}",
    ]


def _overlay(width: float, height: float, lines: list[str]) -> PdfReader:
    # A boxed stamp in the top-right corner, sized to the page so it stays legible on any format.
    buffer = io.BytesIO()
    sheet = canvas.Canvas(buffer, pagesize=(width, height))
    size = max(6.0, min(10.0, width / 60))
    box_w = max(sheet.stringWidth(line, "Helvetica-Bold", size) for line in lines) + 2 * size
    box_h = (len(lines) + 0.8) * size * 1.3
    x, y = width - box_w - size * 2, height - box_h - size * 2
    sheet.setFillColor(Color(1, 1, 1, alpha=0.85))
    sheet.setStrokeColor(_RED)
    sheet.setLineWidth(1.2)
    sheet.rect(x, y, box_w, box_h, fill=1, stroke=1)
    sheet.setFillColor(_RED)
    sheet.setFont("Helvetica-Bold", size)
    for index, line in enumerate(lines):
        sheet.drawString(x + size, y + box_h - (index + 1.2) * size * 1.3, line)
    sheet.save()
    return PdfReader(io.BytesIO(buffer.getvalue()))


def stamp_pdf(pdf: bytes, lines: list[str]) -> bytes:
    """A copy of ``pdf`` with the stamp drawn over its first page."""
    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter()
    writer.append(reader)
    first = writer.pages[0]
    shown = x0, y0, x1, y1 = visible_box(first.mediabox, first.cropbox)  # what a viewer shows
    rotation = first.rotation % 360 if first.rotation % 90 == 0 else 0  # viewers ignore other angles
    # The stamp is drawn upright on the page as it is shown, then mapped into the page's own coordinates:
    # scanners write turned pages (/Rotate) and boxes that do not start at 0,0.
    width, height = shown_size(shown, rotation)
    to_page = {0: (1, 0, 0, 1, x0, y0), 90: (0, 1, -1, 0, x1, y0),
               180: (-1, 0, 0, -1, x1, y1), 270: (0, -1, 1, 0, x0, y1)}[rotation]
    first.merge_transformed_page(_overlay(width, height, lines).pages[0], to_page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_from_images(images: list[bytes]) -> bytes:
    """One page per stored page image, each image filling an A4 page in its own orientation."""
    buffer = io.BytesIO()
    sheet = canvas.Canvas(buffer)
    for data in images:
        image = ImageReader(io.BytesIO(data))
        width, height = image.getSize()
        page = A4 if height >= width else (A4[1], A4[0])
        scale = min(page[0] / width, page[1] / height)
        sheet.setPageSize(page)
        sheet.drawImage(image, 0, page[1] - height * scale, width * scale, height * scale)
        sheet.showPage()
    sheet.save()
    return buffer.getvalue()


def cover_page(entry: ProtocolEntry) -> bytes:
    """For a document with no pages (an XML e-invoice): a cover sheet naming the file and its fingerprint."""
    buffer = io.BytesIO()
    sheet = canvas.Canvas(buffer, pagesize=A4)
    sheet.setFont("Helvetica", 10)
    text = [f"Documento informatico: {entry.file_name or '-'}", f"Tipo: {entry.media_type or '-'}",
            f"Impronta {entry.algorithm}: {entry.fingerprint}", f"Oggetto: {entry.subject[:100]}",
            f"Corrispondente: {entry.correspondent[:100]}"]
    for index, line in enumerate(text):
        sheet.drawString(50, A4[1] - 200 - index * 16, line)
    sheet.showPage()
    sheet.save()
    return buffer.getvalue()


def stamped_key(entry: ProtocolEntry) -> str:
    return f"protocol/{entry.register}/{entry.year}/{format_number(entry.number)}-stamped.pdf"


def archive_stamped_copy(session: Session, store: ObjectStore, entry: ProtocolEntry,
                         administration_name: str = "") -> str:
    """Make (or remake, identically) the stamped PDF copy of an entry's document; returns its object key."""
    document = session.get(Document, entry.document_id) if entry.document_id else None
    base: bytes | None = None
    if document is not None and document.media_type == PDF:
        base = store.get(document.object_key)
    elif document is not None:
        keys = session.scalars(select(Page.image_key).where(Page.document_id == document.id)
                               .order_by(Page.number)).all()
        if keys:
            base = pdf_from_images([store.get(key) for key in keys])
    key = stamped_key(entry)
    store.put(key, stamp_pdf(base or cover_page(entry), stamp_lines(entry, administration_name)), PDF)
    return key
