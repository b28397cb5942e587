"""Fuzzing the parsers that read untrusted input: they fail only with their own documented errors."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.config import ConfigError, parse_pipelines
from core.errors import UnreadableDocument
from core.stages import build_registry
from extract.normalize import normalize_amount, normalize_date
from ingest.sniff import probe
from invoicing.fatturapa_in import FatturaPAError, P7MError, extract_p7m, parse_fatturapa
from tests.conftest import REPO, SHARED_DATA

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
AMOUNT = re.compile(r"^-?\d+\.\d{2}$")  # interfaces.md: `.` separator, no thousands separator, 2 decimals
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FATTURAPA_SAMPLES = sorted((SHARED_DATA / "fatturapa").rglob("*.xml"))
SCANS = [SHARED_DATA / "scans" / name for name in ("invalid.pdf", "blank.pdf", "hugemono.pdf", "typewriter.png")]


def mutate(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """Apply (position, delete-length, insert) edits: flips, cuts and splices anywhere in the file."""
    out = bytearray(data)
    for position, length, insert in edits:
        at = position % (len(out) + 1)
        out[at:at + length] = insert
    return bytes(out)


EDITS = st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 64), st.binary(max_size=16)), max_size=8)
MARKUP = st.sampled_from([b"<", b">", b"&", b"&amp;", b"]]>", b"<![CDATA[", b"<!--", b"\x00", b"\xff\xfe",
                          b"<!DOCTYPE x>", b'encoding="utf-16"', b"&#0;", b"&#x110000;", b"</", b"xmlns:p=''"])


def _fatturapa_must_only_raise_its_errors(data: bytes) -> None:
    with contextlib.suppress(FatturaPAError, P7MError):
        parse_fatturapa(data)


@FUZZ
@given(sample=st.sampled_from(FATTURAPA_SAMPLES), edits=EDITS)
def test_fatturapa_on_mutated_real_files(sample: Path, edits: list[tuple[int, int, bytes]]) -> None:
    _fatturapa_must_only_raise_its_errors(mutate(sample.read_bytes(), edits))


@FUZZ
@given(sample=st.sampled_from(FATTURAPA_SAMPLES), position=st.integers(0, 1 << 20),
       markup=st.lists(MARKUP, min_size=1, max_size=4))
def test_fatturapa_on_spliced_markup(sample: Path, position: int, markup: list[bytes]) -> None:
    data = sample.read_bytes()
    at = position % (len(data) + 1)
    _fatturapa_must_only_raise_its_errors(data[:at] + b"".join(markup) + data[at:])


@FUZZ
@given(data=st.binary(max_size=4096))
def test_fatturapa_and_p7m_on_random_bytes(data: bytes) -> None:
    _fatturapa_must_only_raise_its_errors(data)
    _fatturapa_must_only_raise_its_errors(b'<?xml version="1.0"?>' + data)
    with contextlib.suppress(P7MError):
        extract_p7m(data)


AMOUNTISH = st.text(alphabet="0123456789.,-+ €$EURSOlIo()'’ \u00a0\u202f", max_size=30)


@FUZZ
@given(text=st.one_of(st.text(max_size=40), AMOUNTISH), assume_cents=st.booleans())
def test_normalize_amount_returns_none_or_canonical(text: str, assume_cents: bool) -> None:
    value = normalize_amount(text, assume_cents=assume_cents)
    assert value is None or AMOUNT.match(value), (text, value)


DATEISH = st.text(alphabet="0123456789./- ,gennaiofebbrmazpsotdicJanuryFebMchAplSepOctNovDec", max_size=30)


@FUZZ
@given(text=st.one_of(st.text(max_size=40), DATEISH), dayfirst=st.booleans())
def test_normalize_date_returns_none_or_canonical(text: str, dayfirst: bool) -> None:
    value = normalize_date(text, dayfirst=dayfirst)
    assert value is None or DATE.match(value), (text, value)


@pytest.fixture(scope="module")
def registry():  # type: ignore[no-untyped-def]
    return build_registry()


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10, 10**12), st.floats(allow_nan=True),
                    st.text(max_size=12), st.sampled_from(["pages", "ocr", "route", "auto", "move", "delete"]))
KEYS = st.one_of(st.text(max_size=10), st.sampled_from(
    ["pipelines", "default_pipeline", "stages", "name", "params", "intake", "inbox", "doc_types", "dpi",
     "max_pages", "stable_seconds", "version", "registers", "languages"]))
YAMLISH = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                        st.dictionaries(KEYS, inner, max_size=5)), max_leaves=25)


@FUZZ
@given(data=YAMLISH)
def test_pipelines_loader_on_random_structures(registry, data: object) -> None:  # type: ignore[no-untyped-def]
    try:
        parse_pipelines(data, registry)
    except ConfigError as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)


@FUZZ
@given(edits=EDITS)
def test_pipelines_loader_on_mutated_real_config(registry, edits: list[tuple[int, int, bytes]]) -> None:  # type: ignore[no-untyped-def]
    text = mutate((REPO / "pipelines.yaml").read_bytes(), edits).decode("utf-8", "replace")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return  # load_pipelines turns this into a ConfigError; the structure is what we fuzz here
    with contextlib.suppress(ConfigError):
        parse_pipelines(data, registry)


@FUZZ
@given(data=st.one_of(st.binary(max_size=2048),
                      st.binary(max_size=2048).map(lambda b: b"%PDF-1.7\n" + b + b"\n%%EOF\n"),
                      st.binary(max_size=512).map(lambda b: b"\x89PNG\r\n\x1a\n" + b),
                      st.binary(max_size=512).map(lambda b: b"II*\x00" + b)))
def test_probe_on_random_bytes(data: bytes) -> None:
    try:
        probe(data, max_pages=50)
    except UnreadableDocument as exc:
        assert exc.code and str(exc)


@FUZZ
@given(sample=st.sampled_from(SCANS), edits=EDITS)
def test_probe_on_mutated_real_scans(sample: Path, edits: list[tuple[int, int, bytes]]) -> None:
    try:
        probe(mutate(sample.read_bytes(), edits), max_pages=50)
    except UnreadableDocument as exc:
        assert exc.code and str(exc)
