"""Orientation decisions of the faster path (lines, OSD only when unsure, up/down after OCR) and the archive PDF."""

from __future__ import annotations

import io

import numpy as np
import pikepdf
import pytesseract
import pytest
from pypdf import PdfReader

from core.document import PageWords, Word
from ocr import cleanup
from ocr.archive import searchable_pdf
from ocr.cleanup import clean_page, resolution_scale
from ocr.images import rotate_quadrant, rotate_small
from ocr.orientation import CROP_DECIDED, UpDown, shape_updown
from ocr.page import read_page, reading_score
from ocr.params import CleanupParams
from ocr.synthetic import SAMPLE_LINES, text_page

LINES = SAMPLE_LINES[:5]


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    return text_page(LINES, width=1800)


def test_upright_confident_page_needs_no_orientation_call(page: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("no extra orientation reading for a confident upright page")

    monkeypatch.setattr("ocr.page.ocr_updown", fail)
    reading = read_page(page, CleanupParams(), page=1, languages="eng")
    assert reading.info["rotated_cw"] == 0
    assert reading.info["first_reading_confidence"] >= CleanupParams().upright_confidence
    assert "Fattura" in [w.text for w in reading.words.words]


@pytest.mark.parametrize("quadrant", [180, 270])
def test_upside_down_and_sideways_pages_are_read_upright(page: np.ndarray, quadrant: int) -> None:
    turned = rotate_quadrant(rotate_small(page, 2.0), quadrant)
    reading = read_page(turned, CleanupParams(), page=1, languages="eng")
    assert reading.info["rotated_cw"] == (360 - quadrant) % 360
    assert "Fattura" in [w.text for w in reading.words.words]
    assert reading_score(reading.words)[0] > 0.8


def test_letter_shapes_tell_up_from_down_without_ocr(page: np.ndarray) -> None:
    upright = shape_updown(page)
    assert not upright.upside_down and upright.confidence > CleanupParams().updown_shapes_confidence
    turned = shape_updown(rotate_quadrant(page, 180))
    assert turned.upside_down and turned.confidence > CleanupParams().updown_shapes_confidence


def test_letter_shapes_leave_all_caps_undecided() -> None:
    """Capitals and digits have no ascenders or descenders: no opinion, either way up."""
    caps = text_page(tuple(line.upper() for line in LINES), width=1800)
    for quadrant in (0, 180):
        assert shape_updown(rotate_quadrant(caps, quadrant)).confidence < CleanupParams().updown_shapes_confidence


def test_upside_down_page_is_read_once(page: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    """Letter shapes turn it before OCR: one Tesseract reading and no up/down check after it."""
    readings: list[int] = []
    image_to_data = pytesseract.image_to_data

    def counted(*args: object, **kwargs: object) -> dict:
        readings.append(1)
        return image_to_data(*args, **kwargs)

    monkeypatch.setattr(pytesseract, "image_to_data", counted)
    monkeypatch.setattr("ocr.page.ocr_updown", lambda *_a, **_k: pytest.fail("no both-ways crop reading"))
    reading = read_page(rotate_quadrant(rotate_small(page, 1.5), 180), CleanupParams(), page=1, languages="eng")
    assert reading.info["rotated_cw"] == 180 and reading.info["orientation_method"] == "shapes"
    assert len(readings) == 1
    assert "Fattura" in [w.text for w in reading.words.words]


def test_an_undecided_crop_check_reads_a_doubtful_page_both_ways(monkeypatch: pytest.MonkeyPatch) -> None:
    """All capitals upside down: letter shapes cannot tell, the crop check is unsure; the better reading wins."""
    caps = text_page(tuple(line.upper() for line in LINES), width=1800)
    monkeypatch.setattr("ocr.page.ocr_updown", lambda *_a, **_k: UpDown(False, CROP_DECIDED / 3, "ocr"))
    reading = read_page(rotate_quadrant(caps, 180), CleanupParams(), page=1, languages="eng")
    assert reading.info["first_reading_confidence"] < CleanupParams().upright_confidence
    assert reading.info["rotated_cw"] == 180
    assert "FATTURA" in [w.text for w in reading.words.words]


def test_unsure_vertical_lines_ask_osd_which_can_overrule(page: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cleanup, "osd_orientation", lambda _grey: (0, 9.0))
    info: dict[str, object] = {}
    assert cleanup._vertical_turn(page, 1.5, CleanupParams(), info) == 0
    assert info["orientation_method"] == "osd"
    # Strong line evidence turns without asking.
    monkeypatch.setattr(cleanup, "osd_orientation", lambda _grey: pytest.fail("OSD asked"))
    assert cleanup._vertical_turn(page, 5.0, CleanupParams(), {}) == 90


@pytest.mark.parametrize("quadrant", [90, 270])
def test_unsure_vertical_lines_are_settled_by_letter_shapes_before_osd(
    page: np.ndarray, quadrant: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mixed-case text turned sideways: the shapes on the turned page tell 90 from 270, OSD is not needed."""
    monkeypatch.setattr(cleanup, "osd_orientation", lambda _grey: pytest.fail("OSD asked"))
    info: dict[str, object] = {}
    assert cleanup._vertical_turn(rotate_quadrant(page, quadrant), 1.5, CleanupParams(), info) == 360 - quadrant
    assert info["orientation_method"] == "shapes"


def test_text_near_the_target_height_is_not_rescaled() -> None:
    at_target = text_page(LINES, font_px=35, width=1800)  # capitals of about 24 px
    assert resolution_scale(at_target, CleanupParams()) == 1.0
    tiny = text_page(LINES, font_px=9, width=700, margin=30)
    assert resolution_scale(tiny, CleanupParams()) > 1.5


def test_ocr_image_is_grey_unless_binarisation_is_on(page: np.ndarray) -> None:
    grey = clean_page(page, CleanupParams(orientation=False))
    assert len(np.unique(grey.ocr_image)) > 2
    binary = clean_page(page, CleanupParams(orientation=False, binarise=True))
    assert set(np.unique(binary.ocr_image)) <= {0, 255}


def test_archive_pdf_has_text_layer_and_pdfa_markers() -> None:
    image = np.full((1200, 900), 255, np.uint8)
    words = PageWords(1, 450, 600, [Word("Fattura", (50, 50, 150, 70), 0.9, 1, 1, 1),
                                    Word("Rossi", (160, 50, 230, 70), 0.9, 1, 1, 1)])
    data = searchable_pdf([(image, words)], 300, title="test")
    assert "Fattura" in PdfReader(io.BytesIO(data)).pages[0].extract_text()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "2" and meta["pdfaid:conformance"] == "B"
        assert pdf.Root.OutputIntents[0].S == "/GTS_PDFA1"
        for font in pdf.pages[0].Resources.Font.values():
            # Every font the page uses is embedded (PDF/A), none is a bare base-14 reference.
            descendant = font.DescendantFonts[0] if "/DescendantFonts" in font else font
            assert "/FontFile2" in descendant.FontDescriptor
