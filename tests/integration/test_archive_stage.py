"""The archive stage through the pipeline: a generated scan ends with a searchable PDF/A copy in the store."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pikepdf
from pypdf import PdfReader

from core.runner import run_document_inline
from core.runtime import Runtime
from ingest.intake import accept_file
from ocr.archive_stage import archive_key


def test_archive_stage_stores_searchable_pdfa(runtime: Runtime, tmp_path: Path) -> None:
    from samples.generate import generate

    sample = generate(tmp_path, count=1, seed=5, kinds=["receipt"], levels=[0], formats=["png"])[0]
    result = accept_file(runtime, "auto", sample.path.read_bytes(), source="test", original_name=sample.path.name)
    document_id = result.document_id
    assert document_id is not None
    run_document_inline(runtime, document_id)
    assert runtime.store.exists(archive_key(document_id))
    data = runtime.store.get(archive_key(document_id))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    truth = json.loads(sample.truth_path.read_text(encoding="utf-8"))
    long_words = [w for w in truth["pages"][0]["text"].split() if len(w) >= 6 and w.isalpha()]
    assert long_words and sum(w in text for w in long_words) >= 0.7 * len(long_words)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert pdf.open_metadata()["pdfaid:part"] == "2"


def test_the_stored_jpeg_page_image_goes_into_the_archive_as_it_is(runtime: Runtime, tmp_path: Path) -> None:
    """Re-encoding a JPEG page for the archive would cost time and lose quality; its bytes are embedded as stored."""
    from samples.generate import generate
    from storage.models import Page

    sample = generate(tmp_path, count=1, seed=6, kinds=["invoice"], levels=[1], formats=["png"])[0]
    result = accept_file(runtime, "auto", sample.path.read_bytes(), source="test", original_name=sample.path.name)
    assert result.document_id is not None
    run_document_inline(runtime, result.document_id)
    with runtime.db.session() as session:
        (image_key,) = [page.image_key for page in session.query(Page).filter_by(document_id=result.document_id)]
    assert image_key.endswith("/pages/0001.jpg")
    stored = runtime.store.get(image_key)
    with pikepdf.open(io.BytesIO(runtime.store.get(archive_key(result.document_id)))) as pdf:
        images = list(pdf.pages[0].images.values())
        assert len(images) == 1 and pikepdf.PdfImage(images[0]).filters == ["/DCTDecode"]
        assert images[0].read_raw_bytes() == stored
