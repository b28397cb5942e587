"""FatturaPA intake, SdI checks, .p7m extraction, generation, courtesy PDF and round trip."""

from __future__ import annotations

import base64
import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from asn1crypto import cms
from lxml import etree
from pydantic import ValidationError

from invoicing.fatturapa_in import (
    FatturaPAError,
    P7MError,
    extract_p7m,
    parse_fatturapa,
    validate_fatturapa,
)
from invoicing.fatturapa_out import (
    ActiveInvoice,
    Address,
    Customer,
    InvoiceLine,
    PaymentTerms,
    Supplier,
    build_fatturapa,
    compute_totals,
    courtesy_pdf,
    fatturapa_filename,
)

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
FATTURAPA = SHARED_DATA / "fatturapa"
SAMPLE_FILES = sorted(FATTURAPA.glob("*/*.xml")) or [FATTURAPA / "<missing>"]

# What the negative cases really are (checked by hand against the XSD and the SdI rules).
SCHEMA_INVALID = {
    "official/IT01234567890_FPR02.xml": "ContattiTrasmittente",  # after PECDestinatario: out of order
    "samples/acube_test.xml": "CodiceDestinatario",  # header lacks IdTrasmittente/ProgressivoInvio/Formato
    "samples/invoice-fund-contribution-mixed-retention.xml": "IstitutoFinanziario",  # after IBAN
    "samples/invoice-windows1252.xml": "CodiceArticolo",  # CodiceTipo without CodiceValore
}
NOT_WELL_FORMED = {"eigor/con-ritenuta-acconto-e-cassa-previdenziale.xml"}  # truncated: no closing root
SDI_REJECTED = {
    "official/IT01234567890_FPR03.xml": "sdi_00422",  # Riepilogo 27.00 vs lines 25.00
    "official/IT01234567890_FPR02.xml": "sdi_00422",  # same body as FPR03
    # a third cassa contribution (50.00) is left out of the 22% ImponibileImporto
    "samples/invoice-fund-contribution-mixed-retention.xml": "sdi_00422",
}
MULTI_BODY = {"official/IT01234567890_FPA03.xml": 2, "official/IT01234567890_FPR03.xml": 2}

AMOUNT = re.compile(r"^-?\d+\.\d{2}$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
VAT_ID = re.compile(r"^[A-Z]{2}[0-9A-Z:]+$")
VALID_PIVA = "00743110157"  # passes the check digit and the office-code range


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"shared test data missing: {SHARED_DATA} (the repo's parent must hold shared/)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def xsd(shared_data: Path) -> Path:
    path = shared_data / "fatturapa" / "FatturaPA_v1.2.2.xsd"
    if not path.is_file():
        pytest.fail(f"FatturaPA XSD missing: {path}")
    return path


def _read(shared_data: Path, name: str) -> bytes:
    path = shared_data / "fatturapa" / name
    if not path.is_file():
        pytest.fail(f"shared sample missing: {path}")
    return path.read_bytes()


def _values(extraction) -> dict[str, str]:
    return {name: f.value for name, f in extraction.fields.items()}


def _codes(extraction) -> set[str]:
    return {c.code for c in extraction.checks}


# --------------------------------------------------------------------------- the shared files

def test_shared_folder_holds_all_three_sets(shared_data: Path) -> None:
    for folder, at_least in (("official", 6), ("eigor", 9), ("samples", 18)):
        assert len(list((shared_data / "fatturapa" / folder).glob("*.xml"))) >= at_least, folder


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_shared_file_is_read_or_rejected_with_reason(path: Path, xsd: Path) -> None:
    if not path.is_file():
        pytest.fail(f"no FatturaPA samples found under {FATTURAPA}")
    name = f"{path.parent.name}/{path.name}"
    if name in NOT_WELL_FORMED:
        with pytest.raises(FatturaPAError, match="not well-formed"):
            parse_fatturapa(path.read_bytes(), xsd)
        return
    result = parse_fatturapa(path.read_bytes(), xsd)
    assert result.schema_checked
    assert result.version in ("FPA12", "FPR12")
    assert len(result.extractions) == MULTI_BODY.get(name, 1)
    if name in SCHEMA_INVALID:
        assert not result.schema_valid
        assert SCHEMA_INVALID[name] in {e.element for e in result.schema_errors}
        assert all("xsd_invalid" in _codes(x) for x in result.extractions)
    else:
        assert result.schema_valid, [str(e) for e in result.schema_errors]
    if name in SDI_REJECTED:
        assert SDI_REJECTED[name] in {c.code for c in result.checks}
    if name not in SCHEMA_INVALID and name not in SDI_REJECTED:
        assert result.accepted, [c.message for c in result.checks if c.severity == "error"]
    for extraction in result.extractions:
        _assert_plausible(extraction)


def _assert_plausible(extraction) -> None:
    values = _values(extraction)
    assert extraction.doc_type in ("invoice", "credit_note")
    assert extraction.doc_type_confidence == 1.0
    for key in ("supplier_name", "invoice_number", "issue_date", "currency", "total_amount", "net_amount"):
        assert values.get(key), key
    assert ISO_DATE.match(values["issue_date"])
    assert "due_date" not in values or ISO_DATE.match(values["due_date"])
    for key in ("total_amount", "net_amount", "vat_amount"):
        assert AMOUNT.match(values[key]), (key, values[key])
    assert VAT_ID.match(values["supplier_vat"])
    assert values.get("customer_vat") or values.get("customer_tax_code")
    assert re.fullmatch(r"[A-Z]{3}", values["currency"])
    assert "iban" not in values or re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", values["iban"])
    for f in extraction.fields.values():
        assert (f.confidence, f.page, f.bbox, f.source) == (1.0, None, None, "fatturapa")
    assert extraction.lines
    for line in extraction.lines:
        assert line["description"]
        assert AMOUNT.match(line["amount"])
        assert re.fullmatch(r"\d+(\.\d+)?", line["vat_rate"])


def test_fpr02_reports_contatti_trasmittente_out_of_order(shared_data: Path, xsd: Path) -> None:
    result = parse_fatturapa(_read(shared_data, "official/IT01234567890_FPR02.xml"), xsd)
    assert [e.element for e in result.schema_errors] == ["ContattiTrasmittente"]
    assert result.schema_errors[0].line == 16
    assert "ContattiTrasmittente" in str(result.schema_errors[0])
    assert not result.accepted


def test_fpr03_fails_00422_only_in_its_first_body(shared_data: Path, xsd: Path) -> None:
    result = parse_fatturapa(_read(shared_data, "official/IT01234567890_FPR03.xml"), xsd)
    first, second = result.extractions
    assert result.schema_valid and not result.accepted
    check = next(c for c in first.checks if c.code == "sdi_00422")
    assert check.severity == "error" and check.field == "net_amount"
    assert "27.00" in check.message and "25.00" in check.message
    assert "sdi_00422" not in _codes(second)


def test_official_piva_gives_checksum_warning_not_rejection(shared_data: Path, xsd: Path) -> None:
    result = parse_fatturapa(_read(shared_data, "official/IT01234567890_FPR01.xml"), xsd)
    (extraction,) = result.extractions
    warning = next(c for c in extraction.checks if c.code == "vat_id_checksum")
    assert warning.severity == "warning" and warning.field == "supplier_vat"
    assert "01234567890" in warning.message and "check digit" in warning.message
    assert result.accepted  # a warning does not reject the invoice


def test_fpr01_maps_to_canonical_fields(shared_data: Path, xsd: Path) -> None:
    (extraction,) = parse_fatturapa(_read(shared_data, "official/IT01234567890_FPR01.xml"), xsd).extractions
    assert _values(extraction) == {
        "supplier_name": "SOCIETA' ALPHA SRL",
        "supplier_vat": "IT01234567890",
        "supplier_address": "VIALE ROMA 543, 07100 SASSARI (SS)",
        "customer_name": "DITTA BETA",
        "customer_tax_code": "09876543210",
        "invoice_number": "123",
        "issue_date": "2014-12-18",
        "currency": "EUR",
        "order_reference": "66685",
        "net_amount": "5.00",
        "vat_amount": "1.10",
        "vat_rate": "22",
        "total_amount": "6.10",
        "due_date": "2015-01-30",
        "payment_terms": "TP01",
    }
    assert extraction.lines == [{"description": "DESCRIZIONE DELLA FORNITURA", "quantity": "5",
                                 "unit_price": "1.00", "amount": "5.00", "vat_rate": "22"}]


def test_multi_body_files_give_one_extraction_per_body(shared_data: Path, xsd: Path) -> None:
    result = parse_fatturapa(_read(shared_data, "official/IT01234567890_FPA03.xml"), xsd)
    assert [_values(x)["invoice_number"] for x in result.extractions] == ["12", "456"]
    assert [_values(x)["total_amount"] for x in result.extractions] == ["30.50", "2440.00"]


def test_credit_note_and_iban(shared_data: Path, xsd: Path) -> None:
    (credit,) = parse_fatturapa(_read(shared_data, "samples/invoice-credit-note.xml"), xsd).extractions
    assert credit.doc_type == "credit_note"
    assert "vat_rate" not in credit.fields  # 22 % and N2.2: no single rate
    (iban,) = parse_fatturapa(_read(shared_data, "samples/invoice-simple-iban.xml"), xsd).extractions
    assert _values(iban)["iban"] == "IT60X0542811101000000123456"


def test_utf8_labelled_windows1252_is_read_as_utf8(shared_data: Path, xsd: Path) -> None:
    result = parse_fatturapa(_read(shared_data, "samples/invoice-windows1252.xml"), xsd)
    (extraction,) = result.extractions
    assert _values(extraction)["supplier_name"] == "MªF. Services"
    assert "encoding_mislabelled" in _codes(extraction)


# --------------------------------------------------------------------------- encodings, namespaces

def _fpr01_text(shared_data: Path) -> str:
    return _read(shared_data, "official/IT01234567890_FPR01.xml").decode("utf-8")


def test_real_windows1252_bytes(shared_data: Path, xsd: Path) -> None:
    text = _fpr01_text(shared_data).replace("DITTA BETA", "CITTÀ DI PERÙ")
    declared = text.replace('encoding="UTF-8"', 'encoding="windows-1252"').encode("cp1252")
    undeclared = re.sub(r"^<\?xml[^>]*\?>", "", text).encode("cp1252")
    for data in (declared, undeclared):
        result = parse_fatturapa(data, xsd)
        assert result.schema_valid
        assert _values(result.extractions[0])["customer_name"] == "CITTÀ DI PERÙ"


def test_namespace_prefix_variations(shared_data: Path, xsd: Path) -> None:
    text = _fpr01_text(shared_data)
    renamed = text.replace("xmlns:p=", "xmlns:ns9=").replace("<p:", "<ns9:").replace("</p:", "</ns9:")
    baseline = _values(parse_fatturapa(text.encode(), xsd).extractions[0])
    result = parse_fatturapa(renamed.encode(), xsd)
    assert result.schema_valid and _values(result.extractions[0]) == baseline
    # Everything in the default namespace: wrong for the XSD (children must be unqualified), still mapped.
    qualified = text.replace("xmlns:p=", "xmlns=").replace("<p:", "<").replace("</p:", "</")
    result = parse_fatturapa(qualified.encode(), xsd)
    assert not result.schema_valid and _values(result.extractions[0]) == baseline


def test_code_list_1_2_3_additions_accepted(shared_data: Path, xsd: Path) -> None:
    text = _fpr01_text(shared_data)
    newer = text.replace("<TipoDocumento>TD01<", "<TipoDocumento>TD29<").replace(
        "<RegimeFiscale>RF01<", "<RegimeFiscale>RF20<")
    assert parse_fatturapa(newer.encode(), xsd).schema_valid
    bogus = text.replace("<TipoDocumento>TD01<", "<TipoDocumento>TD99<")
    assert "TipoDocumento" in {e.element for e in parse_fatturapa(bogus.encode(), xsd).schema_errors}


def test_schema_path_is_a_parameter(shared_data: Path, tmp_path: Path) -> None:
    data = _read(shared_data, "official/IT01234567890_FPR01.xml")
    unchecked = parse_fatturapa(data)
    assert not unchecked.schema_checked and not unchecked.schema_valid and len(unchecked.extractions) == 1
    with pytest.raises(FileNotFoundError):
        parse_fatturapa(data, tmp_path / "nowhere.xsd")


def test_natura_rules_00400_00401(xsd: Path) -> None:
    text = build_fatturapa(_awkward_invoice()).decode()
    missing = text.replace("<AliquotaIVA>0.00</AliquotaIVA>\n        <Natura>N2.2</Natura>",
                           "<AliquotaIVA>0.00</AliquotaIVA>", 1)
    assert "sdi_00400" in _codes(parse_fatturapa(missing.encode(), xsd).extractions[0])
    extra = text.replace("<AliquotaIVA>22.00</AliquotaIVA>",
                         "<AliquotaIVA>22.00</AliquotaIVA><Natura>N4</Natura>", 1)
    assert "sdi_00401" in _codes(parse_fatturapa(extra.encode(), xsd).extractions[0])


# --------------------------------------------------------------------------- hostile XML

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE p:FatturaElettronica [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<p:FatturaElettronica xmlns:p="http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2"
 versione="FPR12"><FatturaElettronicaHeader>&xxe;</FatturaElettronicaHeader></p:FatturaElettronica>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<FatturaElettronica>&lol9;</FatturaElettronica>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE FatturaElettronica SYSTEM "http://127.0.0.1:9/evil.dtd">
<FatturaElettronica>x</FatturaElettronica>"""


@pytest.mark.timeout(10)
@pytest.mark.parametrize("data", [XXE, BILLION_LAUGHS, EXTERNAL_DTD, XXE.decode().encode("utf-16")],
                         ids=["xxe", "billion-laughs", "external-dtd", "xxe-utf16"])
def test_dtd_and_entities_are_refused(data: bytes, xsd: Path) -> None:
    with pytest.raises(FatturaPAError, match="DOCTYPE") as info:
        parse_fatturapa(data, xsd)
    assert "root:" not in str(info.value) and "lollol" not in str(info.value)


def test_garbage_and_foreign_xml_are_refused(xsd: Path) -> None:
    with pytest.raises(FatturaPAError, match="not well-formed"):
        parse_fatturapa(b"%PDF-1.7 not xml", xsd)
    with pytest.raises(FatturaPAError, match="not well-formed"):
        parse_fatturapa(b"<FatturaElettronica>&undefined;</FatturaElettronica>", xsd)
    with pytest.raises(FatturaPAError, match="root element"):
        parse_fatturapa(b"<Invoice/>", xsd)
    simplified = b'<p:FatturaElettronicaSemplificata xmlns:p="x"/>'
    with pytest.raises(FatturaPAError):
        parse_fatturapa(simplified, xsd)


# --------------------------------------------------------------------------- .p7m

def _signed_data(content: bytes | None, content_type: str = "signed_data") -> bytes:
    """A CMS envelope with no signer: extraction does not verify signatures, so none is needed."""
    if content_type != "signed_data":
        return cms.ContentInfo({"content_type": "data", "content": content}).dump()
    encap = {"content_type": "data"} | ({"content": content} if content is not None else {})
    signed = cms.SignedData({
        "version": "v1",
        "digest_algorithms": [{"algorithm": "sha256"}],
        "encap_content_info": encap,
        "signer_infos": [],
    })
    return cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()


def test_p7m_der_and_base64(shared_data: Path, xsd: Path) -> None:
    xml = _read(shared_data, "official/IT01234567890_FPR01.xml")
    der = _signed_data(xml)
    assert extract_p7m(der) == xml
    wrapped = base64.encodebytes(der)  # 76-column lines, as the OCA .base64.xml.p7m files have
    assert extract_p7m(wrapped) == xml
    assert extract_p7m(b"\r\n" + base64.b64encode(der) + b"\r\n") == xml
    assert extract_p7m(_signed_data(der)) == xml  # .p7m.p7m: signed twice
    assert parse_fatturapa(extract_p7m(der), xsd).schema_valid


def test_p7m_errors_are_clear() -> None:
    with pytest.raises(P7MError, match="signed-data"):
        extract_p7m(_signed_data(b"<x/>", content_type="data"))
    with pytest.raises(P7MError, match="detached"):
        extract_p7m(_signed_data(None))
    with pytest.raises(P7MError):
        extract_p7m(b"<?xml version='1.0'?><FatturaElettronica/>")
    with pytest.raises(P7MError):
        extract_p7m(b"\x30\x03\x02\x01\x01")


# --------------------------------------------------------------------------- generation

def _supplier(**overrides) -> Supplier:
    base = {"name": "Quinte Servizi S.r.l.", "vat_id": f"IT{VALID_PIVA}", "regime_fiscale": "RF01",
            "address": Address(street="Via Roma", number="1", postcode="20121", city="Milano",
                               province="MI")}
    return Supplier(**(base | overrides))


def _customer(**overrides) -> Customer:
    base = {"name": "Cliente Più S.p.A.", "vat_id": "IT01234560017", "sdi_code": "ABC1234",
            "address": Address(street="Via Torino 38", postcode="00145", city="Roma", province="RM")}
    return Customer(**(base | overrides))


def _awkward_invoice(**overrides) -> ActiveInvoice:
    lines = [
        InvoiceLine(description="Viti", quantity=Decimal("3"), unit_price=Decimal("0.333"),
                    vat_rate=Decimal("22")),
        InvoiceLine(description="Bulloni", quantity=Decimal("7"), unit_price=Decimal("0.0715"),
                    vat_rate=Decimal("22")),
        InvoiceLine(description="Pasto", quantity=Decimal("1"), unit_price=Decimal("10.05"),
                    vat_rate=Decimal("10")),
        InvoiceLine(description="Libri", quantity=Decimal("2"), unit_price=Decimal("9.995"),
                    vat_rate=Decimal("4")),
        InvoiceLine(description="Rimborso spese anticipate", quantity=Decimal("1"),
                    unit_price=Decimal("15.50"), vat_rate=Decimal("0"), natura="N2.2"),
    ]
    base = {"supplier": _supplier(), "customer": _customer(), "number": "2026/001",
            "issue_date": date(2026, 11, 27), "progressive": "A0001", "lines": lines,
            "payment": PaymentTerms(iban="IT60 X054 2811 1010 0000 0123 456", due_date=date(2026, 12, 31)),
            "order_reference": "PO-77"}
    return ActiveInvoice(**(base | overrides))


def test_decimal_totals_on_awkward_amounts() -> None:
    totals = compute_totals(_awkward_invoice())
    by_rate = {(s.rate, s.natura): (s.taxable, s.tax) for s in totals.summaries}
    # 3 × 0.333 = 0.999 → 1.00; 7 × 0.0715 = 0.5005 → 0.50; imposta once per rate: 1.50 × 22 % = 0.33
    assert by_rate[(Decimal("22"), None)] == (Decimal("1.50"), Decimal("0.33"))
    assert by_rate[(Decimal("10"), None)] == (Decimal("10.05"), Decimal("1.01"))  # 1.005 rounds half up
    assert by_rate[(Decimal("4"), None)] == (Decimal("19.99"), Decimal("0.80"))  # 19.99 × 4 % = 0.7996
    assert by_rate[(Decimal("0"), "N2.2")] == (Decimal("15.50"), Decimal("0.00"))
    assert (totals.net, totals.vat, totals.total) == (Decimal("47.04"), Decimal("2.14"), Decimal("49.18"))


def test_generated_invoice_validates_and_round_trips(xsd: Path) -> None:
    invoice = _awkward_invoice()
    data = build_fatturapa(invoice)
    root = etree.fromstring(data)
    assert validate_fatturapa(root, xsd) == []
    assert root.findtext("FatturaElettronicaBody/DatiGenerali/DatiGeneraliDocumento/ImportoTotaleDocumento") \
        == "49.18"
    result = parse_fatturapa(data, xsd)
    assert result.accepted, [c.message for c in result.checks]
    (extraction,) = result.extractions
    assert not [c for c in extraction.checks if c.severity == "error"]
    assert _values(extraction) == {
        "supplier_name": "Quinte Servizi S.r.l.",
        "supplier_vat": "IT00743110157",
        "supplier_address": "Via Roma 1, 20121 Milano (MI)",
        "customer_name": "Cliente Più S.p.A.",
        "customer_vat": "IT01234560017",
        "invoice_number": "2026/001",
        "issue_date": "2026-11-27",
        "currency": "EUR",
        "order_reference": "PO-77",
        "net_amount": "47.04",
        "vat_amount": "2.14",
        "total_amount": "49.18",
        "due_date": "2026-12-31",
        "iban": "IT60X0542811101000000123456",
        "payment_terms": "TP02",
    }
    assert extraction.lines == [
        {"description": "Viti", "quantity": "3", "unit_price": "0.333", "amount": "1.00", "vat_rate": "22"},
        {"description": "Bulloni", "quantity": "7", "unit_price": "0.0715", "amount": "0.50",
         "vat_rate": "22"},
        {"description": "Pasto", "quantity": "1", "unit_price": "10.05", "amount": "10.05", "vat_rate": "10"},
        {"description": "Libri", "quantity": "2", "unit_price": "9.995", "amount": "19.99", "vat_rate": "4"},
        {"description": "Rimborso spese anticipate", "quantity": "1", "unit_price": "15.50",
         "amount": "15.50", "vat_rate": "0"},
    ]
    assert fatturapa_filename(invoice) == "IT00743110157_A0001.xml"


@pytest.mark.parametrize("variant", ["pec", "foreign", "credit_note", "single_rate_1_2_3_codes"])
def test_generated_variants_validate(variant: str, xsd: Path) -> None:
    if variant == "pec":
        invoice = _awkward_invoice(customer=_customer(sdi_code=None, vat_id=None,
                                                      tax_code="RSSMRA80A01H501U", pec="mario@pec.it"))
    elif variant == "foreign":
        invoice = _awkward_invoice(customer=_customer(sdi_code=None, vat_id="DE111111125", address=Address(
            street="Hauptstrasse 1", postcode="10115", city="Berlin", country="DE")))
    elif variant == "credit_note":
        invoice = _awkward_invoice(doc_type="TD04", payment=None)
    else:
        invoice = _awkward_invoice(doc_type="TD29", supplier=_supplier(regime_fiscale="RF20"),
                                   lines=[InvoiceLine(description="Consulenza", unit_price=Decimal("100"),
                                                      vat_rate=Decimal("22"))])
    result = parse_fatturapa(build_fatturapa(invoice), xsd)
    assert result.accepted, [str(e) for e in result.schema_errors] + [c.message for c in result.checks]
    values = _values(result.extractions[0])
    root = etree.fromstring(build_fatturapa(invoice))
    destination = root.findtext("FatturaElettronicaHeader/DatiTrasmissione/CodiceDestinatario")
    if variant == "pec":
        assert destination == "0000000" and values["customer_tax_code"] == "RSSMRA80A01H501U"
        assert root.findtext("FatturaElettronicaHeader/DatiTrasmissione/PECDestinatario") == "mario@pec.it"
    elif variant == "foreign":
        assert destination == "XXXXXXX" and values["customer_vat"] == "DE111111125"
    elif variant == "credit_note":
        assert result.extractions[0].doc_type == "credit_note" and "iban" not in values
    else:
        assert values["vat_rate"] == "22" and values["total_amount"] == "122.00"


def test_input_models_enforce_sdi_rules() -> None:
    with pytest.raises(ValidationError, match="00400"):
        InvoiceLine(description="x", unit_price=Decimal(1), vat_rate=Decimal(0))
    with pytest.raises(ValidationError, match="00401"):
        InvoiceLine(description="x", unit_price=Decimal(1), vat_rate=Decimal(22), natura="N4")
    with pytest.raises(ValidationError, match="Latin-1"):
        InvoiceLine(description="Prezzo in €", unit_price=Decimal(1), vat_rate=Decimal(22))
    with pytest.raises(ValidationError, match="VAT id or a codice fiscale"):
        _customer(vat_id=None, tax_code=None)
    with pytest.raises(ValidationError):
        _customer(sdi_code="ABC12")  # B2B codes have 7 characters
    with pytest.raises(ValidationError):
        _awkward_invoice(progressive="A00001")  # at most 5 characters
    with pytest.raises(ValidationError):
        _supplier(regime_fiscale="RF03")


def test_courtesy_pdf_shows_the_same_values() -> None:
    from pypdf import PdfReader

    pdf = courtesy_pdf(_awkward_invoice())
    assert pdf.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for expected in ("FATTURA n. 2026/001 del 27/11/2026", "IT00743110157", "Cliente Più S.p.A.",
                     "47,04", "2,14", "49,18", "0,333", "N2.2", "IT60X0542811101000000123456",
                     "31/12/2026", "PO-77"):
        assert expected in text, expected
