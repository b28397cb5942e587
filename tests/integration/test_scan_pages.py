"""A scanned PDF through pages and OCR: the scan's own JPEG is the page OCR reads, also when it reads it again."""

from __future__ import annotations

import json
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import select

from core.runner import run_document_inline, run_stage
from core.runtime import Runtime
from ingest.intake import accept_file
from storage.models import Page, WordRow


def _words(runtime: Runtime, document_id: str) -> list[str]:
    with runtime.db.session() as session:
        return list(session.scalars(select(WordRow.text).join(Page).where(Page.document_id == document_id)
                                    .order_by(Page.number, WordRow.seq)))


def test_a_scanned_pdf_is_read_from_its_own_jpeg(runtime: Runtime, tmp_path: Path) -> None:
    from samples.generate import generate

    sample = generate(tmp_path, count=1, seed=11, kinds=["invoice"], levels=[1], formats=["pdf"])[0]
    data = sample.path.read_bytes()
    [pdf_page] = PdfReader(sample.path).pages[:1]
    [embedded] = [xobject.get_object().get_data() for xobject in pdf_page["/Resources"]["/XObject"].values()]
    result = accept_file(runtime, "auto", data, source="test", original_name=sample.path.name)
    assert result.document_id is not None
    run_document_inline(runtime, result.document_id)

    with runtime.db.session() as session:
        first = session.scalar(select(Page).where(Page.document_id == result.document_id, Page.number == 1))
        assert first is not None and first.raw_key is not None
        raw_key, image_key, text_source = first.raw_key, first.image_key, first.text_source
    assert raw_key.endswith("/raw/0001.jpg") and runtime.store.get(raw_key) == embedded  # not re-encoded
    assert image_key.endswith("/pages/0001.jpg") and text_source == "ocr"  # OCR stored its cleaned page
    read = _words(runtime, result.document_id)
    truth = json.loads(sample.truth_path.read_text(encoding="utf-8"))
    long_words = {w for w in truth["pages"][0]["text"].split() if len(w) >= 6 and w.isalpha()}
    assert long_words and len(long_words & set(read)) >= 0.7 * len(long_words)

    # Read again (a re-run after a crash or a changed pipeline): from the raw JPEG, not the cleaned page.
    run_stage(runtime, result.document_id, "ocr", attempt=2)
    assert _words(runtime, result.document_id) == read
