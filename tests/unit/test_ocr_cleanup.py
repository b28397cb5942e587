"""Cleanup steps on synthetic pages with known rotation, skew and noise, and on real bitonal scans."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from ocr.cleanup import (
    clean_page,
    crop_dark_margins,
    is_negative,
    normalise_background,
    remove_speckles,
    sauvola,
    speck_mask,
)
from ocr.images import glyph_size, rotate_quadrant, rotate_small, text_height, to_grey
from ocr.params import CleanupParams
from ocr.skew import estimate_skew
from ocr.synthetic import text_page

SCANS = Path(__file__).resolve().parents[3] / "shared" / "data" / "scans"
if not SCANS.exists():
    SCANS = Path("/work/shared/data/scans")


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    return text_page()


@pytest.mark.parametrize("angle", [-14.0, -6.3, -0.8, 0.0, 2.4, 9.7, 14.5])
def test_skew_estimate_within_a_third_of_a_degree(page: np.ndarray, angle: float) -> None:
    est = estimate_skew(rotate_small(page, angle))
    assert not est.vertical
    assert abs(est.angle - angle) < 0.3


@pytest.mark.parametrize("quadrant", [0, 90, 180, 270])
def test_orientation_turns_the_page_upright(page: np.ndarray, quadrant: int) -> None:
    turned = rotate_quadrant(rotate_small(page, 3.0), quadrant)
    # The up/down check before OCR; the default (after OCR) is tested through read_page.
    cleaned = clean_page(turned, CleanupParams(updown="before_ocr"))
    assert cleaned.info["rotated_cw"] == (360 - quadrant) % 360
    assert abs(cleaned.info["skew_deg"] - 3.0) < 0.3
    # Upright again: the residual skew of the output is (almost) nothing.
    assert abs(estimate_skew(cleaned.review_image).angle) < 0.3


def test_grey_conversion_of_colour_bool_and_16_bit(page: np.ndarray) -> None:
    colour = np.dstack([page, page, page])
    assert to_grey(colour)[1] == "colour"
    bitonal, kind = to_grey(page > 128)
    assert kind == "bitonal" and bitonal.dtype == np.uint8 and set(np.unique(bitonal)) <= {0, 255}
    deep, _ = to_grey(page.astype(np.uint16) * 257)
    assert np.array_equal(deep, page)


def test_black_margins_are_cropped(page: np.ndarray) -> None:
    framed = np.pad(page, ((40, 60), (80, 30)), constant_values=0)
    cropped, box = crop_dark_margins(framed, 0.6)
    assert box == (80, 40, 80 + page.shape[1], 40 + page.shape[0])
    assert cropped.shape == page.shape


def test_background_normalisation_flattens_a_shadow(page: np.ndarray) -> None:
    ramp = np.linspace(0.45, 1.0, page.shape[1])[None, :]
    shaded = (page.astype(np.float64) * ramp).astype(np.uint8)
    flat = normalise_background(shaded, 15)
    paper = flat[page > 200]
    assert paper.mean() > 240 and np.percentile(paper, 5) > 200


def test_speckles_go_thin_strokes_stay() -> None:
    img = np.full((200, 200), 255, np.uint8)
    img[100, 20:180] = 0  # a one-pixel rule
    rng = np.random.default_rng(1)
    ys, xs = rng.integers(0, 90, 60), rng.integers(0, 200, 60)
    img[ys, xs] = 0  # salt and pepper
    out, specks = remove_speckles(img, 6)
    assert (out[100, 20:180] == 0).all()
    assert (out[:90] == 255).all() and specks.sum() == 60


@pytest.mark.parametrize("density", [0.01, 0.05, 0.2])
def test_speck_mask_is_every_component_of_at_most_max_area(density: float) -> None:
    """Against the plain definition: label the ink, count each label's pixels, keep the small labels."""
    rng = np.random.default_rng(7)
    ink = (rng.random((300, 400)) < density).astype(np.uint8)
    ink[50:53, 10:390] = 1  # a rule touching some of the noise
    ink[195:206, 95:110] = 0
    ink[200, 100:104] = 1  # a speck of exactly 4 pixels, clear of the noise
    n, labels = cv2.connectedComponents(ink, connectivity=8)
    areas = np.bincount(labels.ravel(), minlength=n)
    expected = (areas <= 4)[labels] & (ink > 0)
    found = speck_mask(ink, 4)
    assert found[200, 100:104].all() and not found[51, 10:390].any()
    assert np.array_equal(found, expected)


def test_sauvola_keeps_text_on_a_grey_background(page: np.ndarray) -> None:
    dim = (page.astype(np.float64) * 0.5 + 60).astype(np.uint8)
    binary = sauvola(dim, 41, 0.2, 128.0)
    ink = binary == 0
    assert ink[page < 100].mean() > 0.9 and ink[page > 200].mean() < 0.01


def test_small_text_is_upsampled() -> None:
    small = text_page(font_px=14, width=900, margin=40)
    cleaned = clean_page(small, CleanupParams(orientation=False))
    assert cleaned.info["scale"] > 1.5
    assert text_height(cleaned.review_image) == pytest.approx(CleanupParams().target_text_px, rel=0.15)
    assert cleaned.review_image.shape == cleaned.ocr_image.shape


def test_large_text_is_brought_down_to_the_target_height() -> None:
    """A receipt scanned at 600 dpi: OCR time grows with the pixels, and accuracy did not gain from them."""
    large = text_page(font_px=80, width=3600, margin=150)
    cleaned = clean_page(large, CleanupParams(orientation=False))
    assert cleaned.info["scale"] == pytest.approx(0.5, abs=0.08)
    assert text_height(cleaned.review_image) == pytest.approx(CleanupParams().target_text_px, rel=0.15)


def test_text_height_sees_through_dotted_print(page: np.ndarray) -> None:
    """Dot-matrix and faded thermal print break letters into dots; the text is still as tall as it looks."""
    dotted = page.copy()
    dotted[::3, :] = 255  # every third row and column blank: letters fall apart into 2x2 dots
    dotted[:, ::3] = 255
    solid = text_height(page)
    assert solid is not None and text_height(dotted) == pytest.approx(solid, rel=0.15)
    # The blob-based glyph size takes the dots for letters, or finds no letters at all.
    assert (glyph_size(dotted) or 0.0) < 0.5 * (glyph_size(page) or 0.0)


def _render(name: str) -> np.ndarray:
    from pdf2image import convert_from_path

    return np.asarray(convert_from_path(str(SCANS / name), dpi=200)[0])


def test_skewed_scan_is_straightened() -> None:
    cleaned = clean_page(_render("skew.pdf"), CleanupParams(), dpi=200)
    assert abs(cleaned.info["skew_deg"]) > 1.0
    assert abs(estimate_skew(cleaned.review_image).angle) < 0.3


def test_punch_holes_go_but_large_bold_heading_letters_stay() -> None:
    """A heading near the top margin has squarish, filled letters; only the isolated solid disc is a hole."""
    from PIL import Image, ImageDraw, ImageFont

    from ocr.cleanup import whiten_edge_blobs

    page = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", 110)
    draw.text((150, 120), "Brown Engineering PLC", font=font, fill=0)
    draw.ellipse((55, 1655, 145, 1745), fill=0)  # a binder hole by the left edge
    grey = np.asarray(page)
    heading_ink = int((grey[100:300, 100:2000] < 128).sum())
    out, removed = whiten_edge_blobs(grey)
    assert removed == 1
    assert out[1700, 100] == 255
    assert int((out[100:300, 100:2000] < 128).sum()) == heading_ink


def test_smoothing_fades_one_pixel_noise_and_keeps_strokes() -> None:
    page = np.full((200, 200), 255, np.uint8)
    page[50, 50] = 0  # scanner noise
    page[100:140, 100:104] = 0  # a 4 px stroke of a letter
    only_smoothing = CleanupParams(resolution=False, borders=False, background=False, orientation=False,
                                   deskew=False, denoise=False)
    smoothed = clean_page(page, only_smoothing).review_image
    assert smoothed[50:52, 50:52].min() >= 180  # a quarter of its darkness, spread
    assert smoothed[110:130, 101:103].max() == 0  # the stroke's core untouched
    raw = clean_page(page, only_smoothing.model_copy(update={"smooth": False})).review_image
    assert raw[50, 50] == 0


def test_a_grey_shadow_over_text_is_not_painted_out_but_a_black_border_is(page: np.ndarray) -> None:
    """On a badly lit scan Otsu joins the shadow and the text under it into one big blob touching the edge."""
    from ocr.cleanup import whiten_edge_blobs

    shade = np.full(page.shape, 255, np.uint8)
    shade[:, : page.shape[1] // 2] = 150  # the left half in shadow, as from a lifted book spine
    shaded = np.minimum(page, shade)
    out, removed = whiten_edge_blobs(shaded)
    assert removed == 0 and np.array_equal(out, shaded)  # the text in the shadow is still there

    bordered = page.copy()
    bordered[:, :60] = 10  # the scanner's black lid along the left edge
    out, removed = whiten_edge_blobs(bordered)
    assert removed == 1 and out[:, :60].min() == 255


def test_a_negative_page_is_inverted_but_a_receipt_on_a_dark_table_is_not(page: np.ndarray) -> None:
    negative = 255 - page
    assert is_negative(negative, 0.6)
    cleaned = clean_page(negative, CleanupParams(orientation=False, deskew=False))
    assert cleaned.info["inverted"] is True
    assert np.median(cleaned.review_image) == 255  # white paper again

    # A narrow receipt photographed on a dark table: the paper is one large light region, not letters.
    table = np.full((page.shape[0], page.shape[1] * 3), 40, np.uint8)
    table[:, page.shape[1]:2 * page.shape[1]] = page
    assert (table < 100).mean() > 0.6 and not is_negative(table, 0.6)
    assert "inverted" not in clean_page(table, CleanupParams(orientation=False, deskew=False)).info

    # An under-exposed photo: grey paper near black, with sensor noise that makes thousands of tiny light specks.
    rng = np.random.default_rng(0)
    dim = np.clip(page * (95 / 255) + rng.normal(0, 6, page.shape), 0, 255).astype(np.uint8)
    assert (dim < 100).mean() > 0.6 and not is_negative(dim, 0.6)
