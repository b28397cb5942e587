"""The pages stage's rendering: grey pages for OCR; plain scans kept as their own JPEG, the rest rendered to PNG."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import ExifTags, Image, ImageDraw
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from core.errors import UnreadableDocument
from ingest.pages import PagesParams, _reader, embedded_scan, render_image, render_pdf


def _drawn_pdf(colour: tuple[float, float, float]) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setFillColorRGB(*colour)
    pdf.setFont("Helvetica", 24)
    pdf.drawString(72, 700, "Fattura n. 12/2026")
    pdf.save()
    return buffer.getvalue()


def _scan(mode: str = "L", size: tuple[int, int] = (620, 877)) -> Image.Image:
    """An A4 'scan' at 75 dpi: a dark block on white, so any shift or turn shows."""
    image = Image.new(mode, size, "white")
    ImageDraw.Draw(image).rectangle((50, 60, 250, 120), fill="black" if mode == "L" else (200, 30, 30))
    return image


def _scan_pdf(image: Image.Image, dpi: float = 75) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PDF", resolution=dpi)  # Pillow writes the page as one JPEG drawn full-page
    return buffer.getvalue()


def test_a_drawn_page_renders_to_grey_whatever_its_colours() -> None:
    for colour in ((0, 0, 0), (0.8, 0.1, 0.1)):
        (page,) = render_pdf(_drawn_pdf(colour), PagesParams(dpi=100))
        assert page.image.mode == "L" and page.jpeg is None
        assert np.asarray(page.image).min() < 150  # the text is there, not a blank conversion
        data, extension, media_type = page.encoded()
        assert (extension, media_type) == ("png", "image/png")
        assert np.array_equal(np.asarray(Image.open(io.BytesIO(data))), np.asarray(page.image))


@pytest.mark.parametrize("mode", ["L", "RGB"])
def test_a_plain_scan_is_its_own_jpeg_in_grey(mode: str) -> None:
    data = _scan_pdf(_scan(mode))
    [page] = _reader(data).pages
    scan = embedded_scan(page, 75)
    assert scan is not None and scan.image.mode == "L" and scan.image.size == (620, 877)
    jpeg = page["/Resources"]["/XObject"]["/image"].get_object().get_data()
    assert scan.encoded() == (jpeg, "jpg", "image/jpeg")  # stored as it is, not re-encoded
    with Image.open(io.BytesIO(jpeg)) as decoded:
        assert np.array_equal(np.asarray(scan.image), np.asarray(decoded.convert("L")))
    (rendered,) = render_pdf(data, PagesParams(dpi=75))
    assert rendered.jpeg == jpeg


def test_a_scan_at_another_resolution_or_turned_goes_through_the_renderer() -> None:
    data = _scan_pdf(_scan())
    [page] = _reader(data).pages
    assert embedded_scan(page, 150) is None  # 75 dpi scan, 150 dpi asked: poppler resamples it
    (rendered,) = render_pdf(data, PagesParams(dpi=150))
    assert rendered.image.size == (1240, 1754) and rendered.jpeg is None

    writer = PdfWriter()
    writer.add_page(PdfReader(io.BytesIO(data)).pages[0])
    writer.pages[0].rotate(90)
    turned = io.BytesIO()
    writer.write(turned)
    [page] = _reader(turned.getvalue()).pages
    assert embedded_scan(page, 75) is None
    (rendered,) = render_pdf(turned.getvalue(), PagesParams(dpi=75))
    assert rendered.image.size == (877, 620) and rendered.jpeg is None  # landscape: the turn was applied


def test_a_scan_with_something_drawn_over_it_goes_through_the_renderer() -> None:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    jpeg = io.BytesIO()
    _scan().save(jpeg, format="JPEG")
    jpeg.seek(0)
    from reportlab.lib.utils import ImageReader

    pdf.drawImage(ImageReader(jpeg), 0, 0, *A4)
    pdf.drawString(72, 400, "PROTOCOLLO 42")  # a stamp on the scan must be kept
    pdf.save()
    [page] = _reader(buffer.getvalue()).pages
    assert embedded_scan(page, 75) is None
    (rendered,) = render_pdf(buffer.getvalue(), PagesParams(dpi=75))
    assert rendered.jpeg is None
    assert np.asarray(rendered.image)[440:460, 70:200].min() < 128  # the stamp's text is on the page


def test_a_jpeg_file_keeps_its_bytes_unless_exif_turns_it() -> None:
    buffer = io.BytesIO()
    _scan("RGB").save(buffer, format="JPEG")
    (page,) = render_image(buffer.getvalue())
    assert page.jpeg == buffer.getvalue() and page.image.mode == "L" and page.image.size == (620, 877)

    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # the camera was held sideways: turn 90° clockwise to view
    turned = io.BytesIO()
    _scan("RGB").save(turned, format="JPEG", exif=exif)
    (page,) = render_image(turned.getvalue())
    assert page.jpeg is None and page.image.size == (877, 620)

    png = io.BytesIO()
    _scan().save(png, format="PNG")
    (page,) = render_image(png.getvalue())
    assert page.jpeg is None and page.encoded()[1] == "png"


def test_a_damaged_embedded_jpeg_is_left_to_the_renderer() -> None:
    """A scan whose JPEG stream is cut short is not stored as it is: poppler draws what it can of it."""
    import pikepdf

    with pikepdf.open(io.BytesIO(_scan_pdf(_scan()))) as pdf:
        image = pdf.pages[0].Resources.XObject["/image"]
        jpeg = image.read_raw_bytes()
        image.write(jpeg[: len(jpeg) // 2], filter=pikepdf.Name.DCTDecode)
        buffer = io.BytesIO()
        pdf.save(buffer)
    [page] = _reader(buffer.getvalue()).pages
    with pytest.raises(OSError, match="truncated"):
        embedded_scan(page, 75)
    (rendered,) = render_pdf(buffer.getvalue(), PagesParams(dpi=75))
    assert rendered.jpeg is None and rendered.size == (620, 877)


def _saved(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def _ink_on_transparent(mode: str) -> Image.Image:
    """What a phone or web app saves: the paper is transparent (and black underneath), only the ink is opaque."""
    page = np.zeros((877, 620, 4), np.uint8)
    page[60:120, 50:250] = (10, 10, 10, 255)  # a near-black stamp, fully opaque; everything else transparent black
    return Image.fromarray(page, "RGBA").convert(mode)


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P", "L"])
def test_a_transparent_background_is_white_paper_not_a_black_page(mode: str) -> None:
    image = _ink_on_transparent(mode)
    if mode in ("P", "L"):
        image.info["transparency"] = image.getpixel((0, 0))  # the background colour is the transparent one
    (page,) = render_image(_saved(image, "PNG"))
    grey = np.asarray(page.image)
    assert grey[300:800, 300:600].min() == 255  # paper
    assert grey[70:110, 60:240].max() < 30  # the stamp


@pytest.mark.parametrize("fmt", ["PNG", "TIFF"])
def test_a_16_bit_scan_keeps_its_greys(fmt: str) -> None:
    samples = np.full((877, 620), 65535, np.uint16)
    samples[60:120, 50:250] = 0  # black
    samples[200:260, 50:250] = 32896  # mid grey (128 × 257)
    (page,) = render_image(_saved(Image.fromarray(samples), fmt))
    grey = np.asarray(page.image)
    assert (grey[0, 0], grey[80, 100], grey[230, 100]) == (255, 0, 128)


def test_a_standard_resolution_fax_gets_square_pixels() -> None:
    """204 × 98 dpi (a G3 fax): stored and read with the letters at their true height, not squashed to half."""
    page = Image.new("1", (1728, 1100), 1)
    ImageDraw.Draw(page).rectangle((200, 100, 403, 197), fill=0)  # a square inch on paper: 204 × 98 pixels
    buffer = io.BytesIO()
    page.save(buffer, format="TIFF", compression="group3", dpi=(204, 98))
    (rendered,) = render_image(buffer.getvalue())
    assert rendered.size == (1728, round(1100 * 204 / 98))
    ys, xs = np.nonzero(np.asarray(rendered.image) < 128)
    assert abs((ys.max() - ys.min()) - (xs.max() - xs.min())) <= 4  # square again

    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # stored sideways: the 204 dpi axis is the page's height once turned
    turned = io.BytesIO()
    page.convert("L").save(turned, format="TIFF", dpi=(204, 98), exif=exif)
    (rendered,) = render_image(turned.getvalue())
    assert rendered.size == (round(1100 * 204 / 98), 1728)
    ys, xs = np.nonzero(np.asarray(rendered.image) < 128)
    assert abs((ys.max() - ys.min()) - (xs.max() - xs.min())) <= 4


def test_a_jpeg_with_square_pixels_at_any_resolution_keeps_its_bytes() -> None:
    buffer = io.BytesIO()
    _scan("RGB").save(buffer, format="JPEG", dpi=(200, 200))
    (page,) = render_image(buffer.getvalue())
    assert page.jpeg == buffer.getvalue()
    stretched = io.BytesIO()
    _scan("RGB").save(stretched, format="JPEG", dpi=(200, 100))
    (page,) = render_image(stretched.getvalue())
    assert page.jpeg is None and page.size == (620, 1754)


def _cropped_blank_pdf(size: float | tuple[float, float], crop: list[float]) -> bytes:
    from pypdf.generic import RectangleObject

    width, height = (size, size) if isinstance(size, (int, float)) else size
    writer = PdfWriter()
    page = writer.add_blank_page(width, height)
    page.cropbox = RectangleObject(crop)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_a_small_crop_of_an_enormous_page_is_rendered_at_full_resolution() -> None:
    """The size that bounds memory is what the renderer draws, the crop box cut to the page, not the media box."""
    a4_inside_a_7m_square = _cropped_blank_pdf(20000, [1000, 1000, 1595, 1842])  # refused when rendered whole
    (rendered,) = render_pdf(a4_inside_a_7m_square, PagesParams(dpi=100))
    assert rendered.size == (827, 1170)

    a4_with_a_larger_crop = _cropped_blank_pdf((595, 842), [-10000, -10000, 10000, 10000])  # cut to the page
    (rendered,) = render_pdf(a4_with_a_larger_crop, PagesParams(dpi=100))
    assert rendered.size == (827, 1170)

    # A crop box one point wider than a huge page is cut back to the whole page by poppler: still refused.
    wider_crop_of_a_huge_page = _cropped_blank_pdf(14400, [14000, 14000, 28401, 28401])
    with pytest.raises(UnreadableDocument, match="too large"):
        list(render_pdf(wider_crop_of_a_huge_page, PagesParams(dpi=100)))
