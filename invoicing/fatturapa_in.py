"""SdI intake: parse FatturaPA XML safely, validate it, run the main SdI checks, map it to Extractions."""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import threading
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from asn1crypto import cms
from lxml import etree
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import luhn
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import InvalidChecksum, InvalidComponent, ValidationError
from stdnum.it import codicefiscale, iva

from core.document import Check, ExtractedField, Extraction
from invoicing.values import (
    canonical_amount,
    canonical_date,
    canonical_number,
    canonical_price,
    compact_id,
    round_cents,
    to_decimal,
)

NAMESPACE = "http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2"
SOURCE = "fatturapa"
MAX_BYTES = 50 * 1024 * 1024  # SdI accepts at most 5 MB per file; 10x leaves room for attachments
# Code-list values added by schema 1.2.3 (spec v1.9) that the 1.2.2 XSD does not know.
CODE_LIST_ADDITIONS = {"TipoDocumentoType": ("TD29",), "RegimeFiscaleType": ("RF20",)}
IMPONIBILE_TOLERANCE = Decimal("1.00")  # SdI 00422: a difference up to 1 euro is accepted
IMPOSTA_TOLERANCE = Decimal("0.01")  # SdI 00421: a difference up to 1 cent is accepted
_XS = "{http://www.w3.org/2001/XMLSchema}"


class FatturaPAError(ValueError):
    """The input cannot be read as a FatturaPA document at all (unsafe, malformed, not FatturaPA)."""


class P7MError(ValueError):
    """The input is not a CMS/CAdES signed-data envelope with embedded content."""


@dataclass(frozen=True, slots=True)
class SchemaIssue:
    """One XSD violation, with the offending element named."""

    element: str
    message: str
    line: int
    path: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.element}: {self.message}"


@dataclass(slots=True)
class FatturaPAResult:
    """What one FatturaPA file yields: one Extraction per body, plus the file-level findings."""

    version: str | None
    extractions: list[Extraction] = field(default_factory=list)
    schema_errors: list[SchemaIssue] = field(default_factory=list)
    schema_checked: bool = False

    @property
    def schema_valid(self) -> bool:
        return self.schema_checked and not self.schema_errors

    @property
    def checks(self) -> list[Check]:
        """Every check of every body, de-duplicated (header checks repeat per body)."""
        seen: dict[tuple[str, str | None, str], Check] = {}
        for extraction in self.extractions:
            for check in extraction.checks:
                seen.setdefault((check.code, check.field, check.message), check)
        return list(seen.values())

    @property
    def accepted(self) -> bool:
        """True when SdI would accept it: schema-valid and no error-level check."""
        return self.schema_valid and not any(c.severity == "error" for c in self.checks)


# --------------------------------------------------------------------------- safe XML parsing

_FORBIDDEN = (b"<!DOCTYPE", b"<!ENTITY")


def _forbidden_markup(data: bytes) -> bytes | None:
    """The DTD keyword present in the raw bytes, in any of the encodings XML allows, if any."""
    for marker in _FORBIDDEN:
        text = marker.decode("ascii")
        for encoded in (marker, text.encode("utf-16-le"), text.encode("utf-16-be")):
            if encoded in data:
                return marker
    return None


def _parser() -> etree.XMLParser:
    # No DTD, no entity expansion, no network, default size limits: XXE and entity bombs cannot work.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )


def _declared_encoding(data: bytes) -> str | None:
    match = re.match(rb"\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']", data)
    return match.group(1).decode("ascii").lower() if match else None


def _as_cp1252(data: bytes) -> bytes:
    """Undeclared Windows-1252 bytes re-encoded as UTF-8 (Italian accounting software emits them)."""
    text = data.decode("cp1252", errors="replace")
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text, count=1)
    return ('<?xml version="1.0" encoding="UTF-8"?>' + text).encode("utf-8")


_LATIN_ENCODINGS = {"windows-1252", "cp1252", "iso-8859-1", "iso-8859-15", "latin1", "latin-1"}


def _mislabelled_utf8(data: bytes) -> bool:
    """True for UTF-8 bytes declared as a Latin single-byte encoding (seen in real SdI files).

    Italian Latin-1 text is practically never valid UTF-8 (``à`` = 0xE0 alone is an invalid sequence),
    so strictly valid UTF-8 with non-ASCII bytes under a Latin declaration means the label is wrong.
    """
    if _declared_encoding(data) not in _LATIN_ENCODINGS or data.isascii():
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _relabel_utf8(data: bytes) -> bytes:
    return re.sub(rb"(<\?xml[^>]*encoding\s*=\s*[\"'])[A-Za-z0-9._-]+", rb"\1UTF-8", data, count=1)


def _parse(data: bytes) -> tuple[etree._Element, list[Check]]:
    """Safe parse plus the encoding repairs made, as warnings a reviewer can see."""
    notes: list[Check] = []
    if _mislabelled_utf8(data.lstrip()):
        data = _relabel_utf8(data.lstrip())
        notes.append(Check("encoding_mislabelled", "declared a Latin-1/Windows-1252 encoding but the bytes "
                           "are UTF-8; read as UTF-8", None, "warning"))
    return parse_xml(data), notes


def parse_xml(data: bytes) -> etree._Element:
    """Parse untrusted XML bytes safely; DOCTYPE/ENTITY declarations are refused before parsing."""
    if len(data) > MAX_BYTES:
        raise FatturaPAError(f"document too large: {len(data)} bytes (limit {MAX_BYTES})")
    marker = _forbidden_markup(data)
    if marker:
        raise FatturaPAError(
            f"refused: the document contains a {marker.decode()} declaration; FatturaPA never uses "
            "DTDs or entities (possible XXE or entity-expansion attack)"
        )
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]  # lxml reads UTF-8 by default; the BOM only blocks lstrip
    if not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        data = data.lstrip()  # some senders put blank lines before the XML declaration
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        if _declared_encoding(data) is not None or "encoding" not in str(exc).lower():
            raise FatturaPAError(f"not well-formed XML: {exc}") from exc
        try:
            root = etree.fromstring(_as_cp1252(data), _parser())
        except etree.XMLSyntaxError as exc2:
            raise FatturaPAError(f"not well-formed XML: {exc2}") from exc2
    if root.getroottree().docinfo.doctype:  # belt and braces: the byte scan should have caught it
        raise FatturaPAError("refused: the document declares a DOCTYPE")
    return root


# --------------------------------------------------------------------------- schema validation

def _add_code_list_values(xsd: etree._ElementTree) -> None:
    """Extend the 1.2.2 enumerations with the 1.2.3 additions (TD29, RF20), in memory only."""
    for type_name, values in CODE_LIST_ADDITIONS.items():
        for simple in xsd.getroot().iter(f"{_XS}simpleType"):
            if simple.get("name") != type_name:
                continue
            restriction = simple.find(f"{_XS}restriction")
            present = {e.get("value") for e in restriction.iter(f"{_XS}enumeration")}
            for value in values:
                if value not in present:
                    etree.SubElement(restriction, f"{_XS}enumeration", value=value)


_SCHEMA_LOAD_LOCK = threading.Lock()


def _load_schema(path: str) -> tuple[etree.XMLSchema, threading.Lock]:
    # lru_cache alone lets two threads build the schema at once, and lxml's XSD parser is not thread-safe.
    with _SCHEMA_LOAD_LOCK:
        return _build_schema(path)


@lru_cache(maxsize=4)
def _build_schema(path: str) -> tuple[etree.XMLSchema, threading.Lock]:
    # The parsed tree keeps its file URL, so the xmldsig import beside it resolves locally.
    xsd = etree.parse(path, etree.XMLParser(no_network=True, resolve_entities=False))
    _add_code_list_values(xsd)
    return etree.XMLSchema(xsd), threading.Lock()


def _element_name(error: etree._LogEntry) -> str:
    match = re.match(r"Element '(?:\{[^}]*\})?([^']+)'", error.message)
    if match:
        return match.group(1)
    step = (error.path or "").rstrip("/").rsplit("/", 1)[-1]
    return re.sub(r"^[^:]*:|\[\d+\]$", "", step) or "document"


def validate_fatturapa(root: etree._Element, schema_path: str | Path) -> list[SchemaIssue]:
    """XSD violations of a parsed document against the given FatturaPA 1.2.2 schema (+1.2.3 codes)."""
    path = Path(schema_path)
    if not path.is_file():
        raise FileNotFoundError(f"FatturaPA schema not found: {path}")
    schema, lock = _load_schema(str(path.resolve()))
    with lock:  # an lxml XMLSchema keeps its error log on the instance
        schema.validate(root.getroottree())
        errors = list(schema.error_log)
    return [SchemaIssue(_element_name(e), e.message, e.line, e.path or "") for e in errors]


# --------------------------------------------------------------------------- namespace-blind navigation

def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _children(el: etree._Element | None, name: str) -> Iterator[etree._Element]:
    if el is None:
        return
    for child in el:
        if isinstance(child.tag, str) and _local(child) == name:
            yield child


def _find(el: etree._Element | None, path: str) -> etree._Element | None:
    """First element at a slash path of local names (prefixes and namespaces are ignored)."""
    for name in path.split("/"):
        el = next(_children(el, name), None)
        if el is None:
            return None
    return el


def _findall(el: etree._Element | None, path: str) -> list[etree._Element]:
    *parents, last = path.split("/")
    parent = _find(el, "/".join(parents)) if parents else el
    return list(_children(parent, last))


def _text(el: etree._Element | None, path: str) -> str | None:
    found = _find(el, path)
    if found is None or found.text is None or not found.text.strip():
        return None
    return " ".join(found.text.split())


# --------------------------------------------------------------------------- identifiers

def _vat_id(el: etree._Element | None) -> str | None:
    country, code = _text(el, "IdPaese"), _text(el, "IdCodice")
    return compact_id(f"{country}{code}") if country and code else None


def _vat_problem(vat: str) -> str | None:
    """Why a VAT number fails its national check, or None when it passes (or cannot be checked)."""
    country = vat[:2]
    if country == "IT":
        return _piva_problem(vat[2:])
    if country.lower() not in eu_vat.MEMBER_STATES and country != "EL":  # Greece uses EL, not GR
        return None  # no reliable check digit for countries outside the EU
    try:
        eu_vat.validate(vat)
    except InvalidChecksum:
        return "wrong check digit"
    except ValidationError as exc:
        return str(exc) or "invalid format"
    return None


def _piva_problem(number: str) -> str | None:
    if not re.fullmatch(r"[0-9]{11}", number):
        return "a P.IVA has 11 digits"
    problems = [] if luhn.is_valid(number) else ["wrong check digit"]
    try:
        iva.validate(number)
    except InvalidComponent:
        problems.append("invalid province office code")
    except ValidationError:
        pass  # the check digit, already reported
    return ", ".join(problems) or None


def _vat_warning(vat: str, field_name: str) -> Check | None:
    # A warning, not a rejection: SdI checks IDs against the tax register, not the check digit alone.
    problem = _vat_problem(vat)
    if problem is None:
        return None
    return Check("vat_id_checksum", f"VAT number {vat} fails the checksum test ({problem})", field_name,
                 "warning")


def _tax_code_warning(code: str, field_name: str) -> Check | None:
    valid = iva.is_valid(code) if code.isdigit() else codicefiscale.is_valid(code)
    if valid:
        return None
    return Check("tax_code_checksum", f"codice fiscale {code} fails its check", field_name, "warning")


def _iban_warning(value: str) -> Check | None:
    try:
        IBAN(value, validate_bban=True)
    except (SchwiftyException, ValueError):
        return Check("iban_invalid", f"IBAN {value} is not valid (checksum or national format)", "iban",
                     "warning")
    return None


# --------------------------------------------------------------------------- mapping

def _party_name(anagrafica: etree._Element | None) -> str | None:
    name = _text(anagrafica, "Denominazione")
    if name:
        return name
    parts = [p for p in (_text(anagrafica, "Nome"), _text(anagrafica, "Cognome")) if p]
    return " ".join(parts) or None


def _address(sede: etree._Element | None) -> str | None:
    if sede is None:
        return None
    street = " ".join(p for p in (_text(sede, "Indirizzo"), _text(sede, "NumeroCivico")) if p)
    town = " ".join(p for p in (_text(sede, "CAP"), _text(sede, "Comune")) if p)
    province = _text(sede, "Provincia")
    if province:
        town = f"{town} ({province})"
    country = _text(sede, "Nazione")
    parts = [p for p in (street, town, country if country and country != "IT" else None) if p]
    return ", ".join(parts) or None


def _party_fields(party: etree._Element | None, prefix: str) -> tuple[dict[str, str], list[Check]]:
    anag = _find(party, "DatiAnagrafici")
    values: dict[str, str] = {}
    checks: list[Check] = []
    name = _party_name(_find(anag, "Anagrafica"))
    if name:
        values[f"{prefix}_name"] = name
    vat = _vat_id(_find(anag, "IdFiscaleIVA"))
    if vat:
        values[f"{prefix}_vat"] = vat
        checks.append(_vat_warning(vat, f"{prefix}_vat"))
    tax_code = _text(anag, "CodiceFiscale")
    if tax_code:
        values[f"{prefix}_tax_code"] = compact_id(tax_code)
        checks.append(_tax_code_warning(compact_id(tax_code), f"{prefix}_tax_code"))
    address = _address(_find(party, "Sede"))
    if address and prefix == "supplier":  # interfaces.md §4 has no customer_address
        values[f"{prefix}_address"] = address
    return values, [c for c in checks if c]


def _line(el: etree._Element) -> dict[str, str]:
    line: dict[str, str] = {}
    description = _text(el, "Descrizione")
    if description:
        line["description"] = description
    for key, tag, fmt in (
        ("quantity", "Quantita", canonical_number),
        ("unit_price", "PrezzoUnitario", canonical_price),
        ("amount", "PrezzoTotale", canonical_amount),
        ("vat_rate", "AliquotaIVA", canonical_number),
    ):
        raw = _text(el, tag)
        if raw is not None:
            try:
                line[key] = fmt(to_decimal(raw))
            except ValueError:
                line[key] = raw  # keep what was written; the XSD report explains it
    return line


def _decimal_or_none(el: etree._Element | None, path: str) -> Decimal | None:
    raw = _text(el, path)
    if raw is None:
        return None
    try:
        return to_decimal(raw)
    except ValueError:
        return None


def _sum(elements: list[etree._Element], path: str) -> Decimal:
    return sum((_decimal_or_none(e, path) or Decimal(0) for e in elements), Decimal(0))


def _payment_fields(body: etree._Element) -> dict[str, str]:
    values: dict[str, str] = {}
    details = _findall(body, "DatiPagamento/DettaglioPagamento")
    dues: list[str] = []
    for detail in details:
        raw = _text(detail, "DataScadenzaPagamento")
        if raw:
            try:
                dues.append(canonical_date(raw))
            except ValueError:
                continue
    if dues:
        values["due_date"] = min(dues)  # the next instalment is the one to pay first
    iban = next((_text(d, "IBAN") for d in details if _text(d, "IBAN")), None)
    if iban:
        values["iban"] = compact_id(iban)
    terms = _text(body, "DatiPagamento/CondizioniPagamento")
    if terms:
        values["payment_terms"] = terms
    return values


def _amount_fields(body: etree._Element) -> dict[str, str]:
    summaries = _findall(body, "DatiBeniServizi/DatiRiepilogo")
    values: dict[str, str] = {}
    if summaries:
        net, vat = _sum(summaries, "ImponibileImporto"), _sum(summaries, "Imposta")
        values["net_amount"] = canonical_amount(net)
        values["vat_amount"] = canonical_amount(vat)
        rates = {_decimal_or_none(s, "AliquotaIVA") for s in summaries}
        if len(rates) == 1 and None not in rates:
            values["vat_rate"] = canonical_number(rates.pop())
    total = _decimal_or_none(body, "DatiGenerali/DatiGeneraliDocumento/ImportoTotaleDocumento")
    if total is None and summaries:
        # The element is optional; net + VAT is what the document totals to before withholdings.
        total = _sum(summaries, "ImponibileImporto") + _sum(summaries, "Imposta")
    if total is not None:
        values["total_amount"] = canonical_amount(total)
    return values


def _document_fields(body: etree._Element) -> tuple[dict[str, str], list[Check]]:
    doc = _find(body, "DatiGenerali/DatiGeneraliDocumento")
    values: dict[str, str] = {}
    checks: list[Check] = []
    number = _text(doc, "Numero")
    if number:
        values["invoice_number"] = number
    raw_date = _text(doc, "Data")
    if raw_date:
        try:
            values["issue_date"] = canonical_date(raw_date)
        except ValueError:
            checks.append(Check("bad_date", f"Data {raw_date!r} is not a date", "issue_date"))
    currency = _text(doc, "Divisa")
    if currency:
        values["currency"] = currency.upper()
    order = _text(body, "DatiGenerali/DatiOrdineAcquisto/IdDocumento")
    if order:
        values["order_reference"] = order
    return values, checks


# --------------------------------------------------------------------------- SdI checks

def _rate_key(el: etree._Element) -> Decimal | None:
    return _decimal_or_none(el, "AliquotaIVA")


def _nature_checks(items: list[etree._Element], what: str, codes: tuple[str, str]) -> list[Check]:
    """Natura is required exactly when AliquotaIVA is zero (00400/00401 lines, 00429/00430 summary)."""
    checks = []
    for index, item in enumerate(items, start=1):
        rate, nature = _rate_key(item), _text(item, "Natura")
        if rate is None:
            continue
        if rate == 0 and not nature:
            checks.append(Check(f"sdi_{codes[0]}", f"{what} {index}: AliquotaIVA is 0.00 but Natura is "
                                f"missing (SdI {codes[0]})", "vat_rate"))
        elif rate != 0 and nature:
            checks.append(Check(f"sdi_{codes[1]}", f"{what} {index}: Natura {nature} given with "
                                f"AliquotaIVA {rate} (SdI {codes[1]})", "vat_rate"))
    return checks


def _taxable_by_rate(body: etree._Element) -> dict[Decimal, Decimal]:
    """Σ PrezzoTotale + Σ ImportoContributoCassa per rate: what each summary's imponibile must be."""
    expected: dict[Decimal, Decimal] = defaultdict(Decimal)
    for line in _findall(body, "DatiBeniServizi/DettaglioLinee"):
        rate = _rate_key(line)
        if rate is not None:
            expected[rate] += _decimal_or_none(line, "PrezzoTotale") or Decimal(0)
    for cassa in _findall(body, "DatiGenerali/DatiGeneraliDocumento/DatiCassaPrevidenziale"):
        rate = _rate_key(cassa)
        if rate is not None:
            expected[rate] += _decimal_or_none(cassa, "ImportoContributoCassa") or Decimal(0)
    return expected


def _total_checks(body: etree._Element) -> list[Check]:
    """SdI 00419 (a rate without summary), 00422 (imponibile vs lines, ±1 €), 00421 (imposta, ±1 ct)."""
    checks: list[Check] = []
    summaries = _findall(body, "DatiBeniServizi/DatiRiepilogo")
    declared: dict[Decimal, Decimal] = defaultdict(Decimal)
    for summary in summaries:
        rate = _rate_key(summary)
        if rate is None:
            continue
        imponibile = _decimal_or_none(summary, "ImponibileImporto") or Decimal(0)
        # Arrotondamento is part of the imponibile, so it is taken off before comparing with the lines.
        declared[rate] += imponibile - (_decimal_or_none(summary, "Arrotondamento") or Decimal(0))
        imposta = _decimal_or_none(summary, "Imposta")
        expected_tax = round_cents(imponibile * rate / 100)
        if imposta is not None and abs(imposta - expected_tax) > IMPOSTA_TOLERANCE:
            checks.append(Check("sdi_00421", f"rate {canonical_number(rate)}%: Imposta {imposta} ≠ "
                                f"{imponibile} × {canonical_number(rate)}% = {expected_tax} (SdI 00421)",
                                "vat_amount"))
    for rate, lines_total in sorted(_taxable_by_rate(body).items()):
        if rate not in declared:
            checks.append(Check("sdi_00419", f"no DatiRiepilogo for rate {canonical_number(rate)}% "
                                "used in the lines (SdI 00419)", "net_amount"))
        elif abs(declared[rate] - lines_total) > IMPONIBILE_TOLERANCE:
            checks.append(Check("sdi_00422", f"rate {canonical_number(rate)}%: ImponibileImporto "
                                f"{canonical_amount(declared[rate])} ≠ lines total "
                                f"{canonical_amount(lines_total)} (SdI 00422, tolerance 1.00)",
                                "net_amount"))
    return checks


def _sdi_checks(body: etree._Element) -> list[Check]:
    lines = _findall(body, "DatiBeniServizi/DettaglioLinee")
    summaries = _findall(body, "DatiBeniServizi/DatiRiepilogo")
    cassa = _findall(body, "DatiGenerali/DatiGeneraliDocumento/DatiCassaPrevidenziale")
    return (
        _nature_checks(lines, "line", ("00400", "00401"))
        + _nature_checks(summaries, "summary", ("00429", "00430"))
        + _nature_checks(cassa, "cassa previdenziale", ("00413", "00414"))
        + _total_checks(body)
    )


# --------------------------------------------------------------------------- entry points

def _field(name: str, value: str) -> ExtractedField:
    return ExtractedField(name=name, value=value, confidence=1.0, page=None, bbox=None, source=SOURCE)


def _body_extraction(body: etree._Element, header_values: dict[str, str],
                     header_checks: list[Check], file_checks: list[Check]) -> Extraction:
    doc_values, doc_checks = _document_fields(body)
    values = {**header_values, **doc_values, **_amount_fields(body), **_payment_fields(body)}
    checks = list(file_checks) + list(header_checks) + doc_checks + _sdi_checks(body)
    if "iban" in values:
        iban_check = _iban_warning(values["iban"])
        checks += [iban_check] if iban_check else []
    doc_kind = _text(body, "DatiGenerali/DatiGeneraliDocumento/TipoDocumento")
    return Extraction(
        doc_type="credit_note" if doc_kind == "TD04" else "invoice",  # TD05 (debit note) is an invoice
        doc_type_confidence=1.0,
        fields={name: _field(name, value) for name, value in values.items()},
        lines=[_line(el) for el in _findall(body, "DatiBeniServizi/DettaglioLinee")],
        checks=checks,
    )


def _schema_checks(issues: list[SchemaIssue]) -> list[Check]:
    return [Check("xsd_invalid", f"schema violation at {i}", i.element) for i in issues]


def parse_fatturapa(data: bytes, schema_path: str | Path | None = None) -> FatturaPAResult:
    """Parse a FatturaPA file into one Extraction per FatturaElettronicaBody.

    ``schema_path`` is the FatturaPA 1.2.2 XSD (from configuration); when None the XSD step is skipped
    and ``schema_checked`` stays False. Schema violations do not stop the mapping: they are returned in
    ``schema_errors`` and as ``xsd_invalid`` checks, so a reviewer sees the values and the reason.
    Raises FatturaPAError when the bytes are unsafe, not well-formed, or not a FatturaElettronica.
    """
    root, encoding_notes = _parse(data)
    if _local(root) != "FatturaElettronica":
        raise FatturaPAError(f"not a FatturaPA document: root element is {_local(root)!r}")
    namespace = etree.QName(root).namespace
    if namespace and namespace != NAMESPACE:
        raise FatturaPAError(f"unsupported FatturaPA namespace {namespace!r} (only FPA12/FPR12 v1.2)")
    result = FatturaPAResult(version=root.get("versione"))
    if schema_path is not None:
        result.schema_errors = validate_fatturapa(root, schema_path)
        result.schema_checked = True
    header = _find(root, "FatturaElettronicaHeader")
    supplier, supplier_checks = _party_fields(_find(header, "CedentePrestatore"), "supplier")
    customer, customer_checks = _party_fields(_find(header, "CessionarioCommittente"), "customer")
    file_checks = encoding_notes + _schema_checks(result.schema_errors)
    bodies = list(_children(root, "FatturaElettronicaBody"))
    if not bodies:
        raise FatturaPAError("FatturaPA document without FatturaElettronicaBody")
    for body in bodies:
        result.extractions.append(
            _body_extraction(body, {**supplier, **customer}, supplier_checks + customer_checks, file_checks)
        )
    return result


# --------------------------------------------------------------------------- signed files (.p7m)

def _der_bytes(data: bytes) -> bytes:
    """DER/BER as given, or decoded from base64 (with or without PEM armour)."""
    stripped = data.strip()
    if stripped[:1] == b"\x30":  # an ASN.1 SEQUENCE: already binary
        return data
    text = re.sub(rb"-----(BEGIN|END)[^-]*-----", b"", stripped)
    try:
        return base64.b64decode(b"".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise P7MError("not a .p7m: neither DER nor base64-encoded DER") from exc


def _unwrap_once(der: bytes) -> bytes:
    try:
        info = cms.ContentInfo.load(der)
        content_type = info["content_type"].native
        if content_type != "signed_data":
            raise P7MError(f"not a signed-data envelope (CMS content type {content_type!r})")
        encap = info["content"]["encap_content_info"]["content"]
        if encap.native is None:
            raise P7MError("detached signature: the envelope carries no content")
        return bytes(encap.native) if not isinstance(encap.native, bytes) else encap.native
    except P7MError:
        raise
    except (ValueError, TypeError, KeyError) as exc:
        raise P7MError(f"not a CMS signed-data envelope: {exc}") from exc


def extract_p7m(data: bytes, max_depth: int = 3) -> bytes:
    """The signed content of a CAdES ``.p7m`` (DER, or base64-encoded DER), e.g. a FatturaPA XML.

    Only extracts: the signature and certificate chain are NOT verified here (that needs a trust list;
    SdI has already checked signatures of the files it delivers). Nested envelopes (``.p7m.p7m``) are
    unwrapped up to ``max_depth`` levels. Raises P7MError when the input is not a signed-data envelope.
    """
    content = _unwrap_once(_der_bytes(data))
    for _ in range(max_depth - 1):
        if content[:1] != b"\x30":
            break
        try:
            content = _unwrap_once(content)
        except P7MError:
            break  # binary content that merely starts like ASN.1
    return content
