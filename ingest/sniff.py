"""File sniffing and probing: what a file really is, and whether it opens, judged by content, never by name."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from core.errors import UnreadableDocument

# Pixel budget for one image; PIL refuses larger ones, which stops decompression bombs before decoding.
MAX_IMAGE_PIXELS = 120_000_000
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS

PDF = "application/pdf"
TIFF = "image/tiff"
JPEG = "image/jpeg"
PNG = "image/png"
XML = "application/xml"
P7M = "application/pkcs7-mime"

IMAGE_TYPES = (TIFF, JPEG, PNG)


@dataclass(frozen=True, slots=True)
class Probe:
    """What a readable file is and how many pages it has."""

    media_type: str
    pages: int


def sniff(data: bytes) -> str | None:
    """The media type by magic bytes, or None when it is none of the accepted kinds."""
    head = data[:1024]
    if head.startswith(b"%PDF-") or b"%PDF-" in head[:1024]:
        return PDF
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"<?xml") or (stripped.startswith(b"<") and b"FatturaElettronica" in data[:4096]):
        return XML
    # CAdES envelopes are DER SEQUENCEs (0x30) carrying the signedData OID, or that DER in base64.
    if head[:1] == b"\x30" and b"\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02" in head[:64]:
        return P7M
    if head.startswith(b"MII"):
        return P7M
    return None


def probe(data: bytes, *, max_pages: int) -> Probe:
    """Check the file opens as what it claims to be; raise UnreadableDocument with a reason otherwise."""
    if not data:
        raise UnreadableDocument("the file is empty (0 bytes)", code="empty")
    media_type = sniff(data)
    if media_type is None:
        raise UnreadableDocument(
            "not a PDF, TIFF, JPEG, PNG or FatturaPA XML file (its content matches none of them)",
            code="unsupported_type",
        )
    if media_type == PDF:
        return Probe(PDF, _probe_pdf(data, max_pages=max_pages))
    if media_type in IMAGE_TYPES:
        return Probe(media_type, _probe_image(data, max_pages=max_pages))
    return Probe(media_type, 0)


def _probe_pdf(data: bytes, *, max_pages: int) -> int:
    if b"%%EOF" not in data[-2048:]:
        raise UnreadableDocument("the PDF is truncated (no end-of-file marker): was the copy complete?",
                                 code="truncated")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                raise UnreadableDocument("the PDF is encrypted with a password; send it without one",
                                         code="encrypted")
            pages = len(reader.pages)
    except UnreadableDocument:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        raise UnreadableDocument(f"the PDF is damaged and cannot be read ({exc})", code="corrupt") from exc
    except Exception as exc:  # pypdf raises many kinds on hostile input; all mean the same to an operator
        raise UnreadableDocument(f"the PDF cannot be read ({type(exc).__name__}: {exc})", code="corrupt") from exc
    if pages == 0:
        raise UnreadableDocument("the PDF has no pages", code="empty")
    if pages > max_pages:
        raise UnreadableDocument(f"the PDF has {pages} pages; this pipeline accepts at most {max_pages}",
                                 code="too_many_pages")
    return pages


def _probe_image(data: bytes, *, max_pages: int) -> int:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                frames = getattr(image, "n_frames", 1)
                if frames > max_pages:
                    raise UnreadableDocument(
                        f"the image has {frames} pages; this pipeline accepts at most {max_pages}",
                        code="too_many_pages",
                    )
                for index in range(frames):
                    image.seek(index)
                    image.load()
    except UnreadableDocument:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UnreadableDocument(f"the image is too large to process safely ({exc})", code="too_large") from exc
    except Exception as exc:
        raise UnreadableDocument(f"the image is damaged and cannot be decoded ({exc})", code="corrupt") from exc
    return frames
