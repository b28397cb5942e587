"""Segnatura XML against AgID's schema and its seal, the stamped PDF copy, and the registers configuration."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.pdfgen import canvas

from core.config import ConfigError, PipelinesConfig
from protocol.chain import entry_hash, genesis_hash
from protocol.config import parse_registers, register_for
from protocol.models import ProtocolEntry
from protocol.segnatura import build_segnatura, load_schema, validation_errors, verify_seal
from protocol.stamp import pdf_from_images, stamp_lines, stamp_pdf
from tests.integration.protocol_helpers import REGISTER

KEY = b"k" * 32


def _entry(direction: str = "incoming", kind: str = "tuda") -> ProtocolEntry:
    entry = ProtocolEntry(
        id=1, register="generale", year=2026, number=42, registered_at=datetime(2026, 3, 2, 9, 15, 2, tzinfo=UTC),
        registration_date=date(2026, 3, 2), kind=kind, administration="c_h501", aoo="AOO_GEN", direction=direction,
        correspondent="ACME S.p.A.", correspondent_vat="IT01234567890", recipients=[], subject="Fattura n. 5573",
        sender_number="5573", sender_date="2026-02-27", fingerprint="47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
        algorithm="SHA-256", file_name="fattura.pdf", media_type="application/pdf", document_id="d", record_id="r",
        created_by="system", prev_hash=genesis_hash("generale", 2026), classification=None, assignment=None)
    entry.entry_hash = entry_hash(entry)
    return entry


@pytest.fixture(scope="module")
def schema(shared_data: Path):  # type: ignore[no-untyped-def]
    return load_schema(shared_data / "protocollo" / "segnatura_protocollo.xsd")


@pytest.mark.parametrize(("direction", "kind"), [("incoming", "tuda"), ("outgoing", "tuda"), ("internal", "tuda"),
                                                 ("incoming", "iva")])
def test_segnatura_validates_against_the_agid_schema(schema, direction: str, kind: str) -> None:  # type: ignore[no-untyped-def]
    xml = build_segnatura(_entry(direction, kind), REGISTER, KEY)
    assert validation_errors(xml, schema) == []
    assert b"<prot:NumeroRegistrazione>0000042</prot:NumeroRegistrazione>" in xml
    assert b"<prot:DataRegistrazione>2026-03-02</prot:DataRegistrazione>" in xml
    assert b"<prot:OraRegistrazione>10:15:02+01:00</prot:OraRegistrazione>" in xml  # Europe/Rome


def test_segnatura_seal_detects_changes(schema) -> None:  # type: ignore[no-untyped-def]
    xml = build_segnatura(_entry(), REGISTER, KEY)
    assert verify_seal(xml, KEY)
    assert not verify_seal(xml, b"other-key" * 4)
    assert not verify_seal(xml.replace(b"0000042", b"0000043"), KEY)
    assert validation_errors(xml.replace(b"0000042", b"42"), schema)  # the schema wants at least 7 digits


def _pdf(pages: int = 2) -> bytes:
    buffer = io.BytesIO()
    sheet = canvas.Canvas(buffer)
    for number in range(pages):
        sheet.drawString(72, 720, f"original page {number + 1}")
        sheet.showPage()
    sheet.save()
    return buffer.getvalue()


def test_stamp_goes_on_the_first_page_of_a_copy() -> None:
    original = _pdf()
    kept = bytes(original)
    stamped = stamp_pdf(original, stamp_lines(_entry(), "Comune di Esempio"))
    assert original == kept
    reader = PdfReader(io.BytesIO(stamped))
    first, second = (page.extract_text() for page in reader.pages)
    assert "N. 0000042 del 02/03/2026 10:15" in first and "AOO AOO_GEN" in first and "original page 1" in first
    assert "0000042" not in second


@pytest.mark.parametrize(("rotation", "crop"), [(0, None), (90, None), (270, [40, 60, 500, 700]),
                                              (180, [-100, -50, 400, 600]), (0, [0, 0, 612, 1008]),
                                              (90, [-10000, -10000, 10000, 10000]), (0, [500, 700, 40, 60])])
def test_the_stamp_is_in_the_top_right_corner_of_the_page_as_a_viewer_shows_it(
    rotation: int, crop: list[float] | None
) -> None:
    """Scanners write turned pages (/Rotate) and boxes that do not start at 0,0; the stamp must still be seen."""
    import numpy as np
    from pdf2image import convert_from_bytes
    from pypdf import PdfWriter
    from pypdf.generic import RectangleObject

    writer = PdfWriter()
    page = writer.add_page(PdfReader(io.BytesIO(_pdf(1))).pages[0])
    if crop and crop[0] < 0 and crop[0] > -1000:
        page.mediabox = page.cropbox = RectangleObject(crop)  # a page whose boxes do not start at 0,0
    elif crop:
        page.cropbox = RectangleObject(crop)  # taller, larger or reversed: poppler cuts it to the page
    if rotation:
        page.rotate(rotation)
    original = io.BytesIO()
    writer.write(original)

    stamped = stamp_pdf(original.getvalue(), stamp_lines(_entry(), "Comune di Esempio"))
    (shown,) = convert_from_bytes(stamped, dpi=50, use_cropbox=True)  # as the pages stage and viewers show it
    rgb = np.asarray(shown.convert("RGB")).astype(int)
    red = (rgb[..., 0] > 120) & (rgb[..., 1] < 80) & (rgb[..., 2] < 80)
    ys, xs = np.nonzero(red)
    height, width = red.shape
    assert len(xs) > 50, "no stamp on the visible page"
    assert xs.min() > width / 3 and xs.max() < width and ys.max() < height / 3  # top right, whole
    assert "N. 0000042" in PdfReader(io.BytesIO(stamped)).pages[0].extract_text()


def test_page_images_become_a_pdf() -> None:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (850, 1100), 255).save(buffer, format="PNG")
    pdf = pdf_from_images([buffer.getvalue(), buffer.getvalue()])
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 2


def _config(registers: dict) -> PipelinesConfig:  # type: ignore[type-arg]
    return PipelinesConfig.model_validate({"pipelines": {"auto": {"stages": [{"name": "x"}]},
                                                         "receipts": {"stages": [{"name": "x"}]}},
                                           "registers": registers})


def test_registers_are_validated_with_clear_messages() -> None:
    good = {"administration": "c_h501", "aoo": "A", "pipelines": ["auto"], "doc_types": ["invoice"],
            "automatic": True}
    config = _config({"generale": good, "iva": {**good, "kind": "iva", "pipelines": ["receipts"],
                                                 "automatic": False}})
    registers = parse_registers(config)
    assert registers["generale"].code == "generale"
    assert register_for(config, "auto", "invoice").code == "generale"  # type: ignore[union-attr]
    assert register_for(config, "auto", "receipt") is None
    assert register_for(config, "receipts", "invoice", automatic_only=True) is None
    with pytest.raises(ConfigError) as problems:
        parse_registers(_config({"bad code!": good, "x": {**good, "pipelines": ["nope"]},
                                 "y": {**good, "kind": "pa"},
                                 "twin": good, "twin2": good}))
    text = str(problems.value)
    assert "bad code!" in text and "unknown pipeline 'nope'" in text and "kind" in text
    assert "both register" in text
