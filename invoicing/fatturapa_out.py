"""Active invoices: typed input -> FatturaPA FPR12 XML (exact Decimal totals), SdI file name, courtesy PDF."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated

from lxml import etree
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from stdnum.it import iva

from invoicing.fatturapa_in import NAMESPACE
from invoicing.values import canonical_number, compact_id, round_cents, xml_decimal

NATURE_DESCRIPTIONS = {
    "N1": "Escluse ex art. 15 DPR 633/72",
    "N2.1": "Non soggette ad IVA ai sensi degli artt. da 7 a 7-septies DPR 633/72",
    "N2.2": "Non soggette - altri casi",
    "N3.1": "Non imponibili - esportazioni",
    "N3.2": "Non imponibili - cessioni intracomunitarie",
    "N3.3": "Non imponibili - cessioni verso San Marino",
    "N3.4": "Non imponibili - operazioni assimilate alle cessioni all'esportazione",
    "N3.5": "Non imponibili - a seguito di dichiarazioni d'intento",
    "N3.6": "Non imponibili - altre operazioni",
    "N4": "Esenti",
    "N5": "Regime del margine / IVA non esposta in fattura",
    "N6.1": "Inversione contabile - cessione di rottami e altri materiali di recupero",
    "N6.2": "Inversione contabile - cessione di oro e argento",
    "N6.3": "Inversione contabile - subappalto nel settore edile",
    "N6.4": "Inversione contabile - cessione di fabbricati",
    "N6.5": "Inversione contabile - cessione di telefoni cellulari",
    "N6.6": "Inversione contabile - cessione di prodotti elettronici",
    "N6.7": "Inversione contabile - prestazioni comparto edile e settori connessi",
    "N6.8": "Inversione contabile - operazioni settore energetico",
    "N6.9": "Inversione contabile - altri casi",
    "N7": "IVA assolta in altro stato UE",
}
DOC_TITLES = {"TD01": "FATTURA", "TD04": "NOTA DI CREDITO", "TD05": "NOTA DI DEBITO", "TD06": "PARCELLA"}


def _latin1(value: str) -> str:
    """FatturaPA text fields are Latin-1 only (XSD String…LatinType); refuse early, with the value."""
    try:
        value.encode("latin-1")
    except UnicodeEncodeError as exc:
        raise ValueError(f"{value!r} has characters outside Latin-1, which FatturaPA does not allow") from exc
    return value


Latin = Annotated[str, AfterValidator(_latin1)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True, extra="forbid")


class Address(_Model):
    """A Sede: street, civic number, CAP, comune, provincia, country."""

    street: Latin = Field(min_length=1, max_length=60)
    number: Latin | None = Field(default=None, max_length=8)
    postcode: str = Field(pattern=r"^[0-9]{5}$")
    city: Latin = Field(min_length=1, max_length=60)
    province: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    country: str = Field(default="IT", pattern=r"^[A-Z]{2}$")


def _split_vat(vat: str) -> tuple[str, str]:
    compact = compact_id(vat)
    if not re.fullmatch(r"[A-Z]{2}[0-9A-Z]{1,28}", compact):
        raise ValueError(f"VAT id {vat!r} must be a country prefix plus the number, e.g. IT01234567890")
    return compact[:2], compact[2:]


class Supplier(_Model):
    """Cedente/prestatore: who issues the invoice."""

    name: Latin = Field(min_length=1, max_length=80)
    vat_id: str
    tax_code: str | None = None
    regime_fiscale: str = Field(default="RF01", pattern=r"^RF(0[1-9]|1[0-9]|20)$")
    address: Address

    @field_validator("vat_id")
    @classmethod
    def _vat(cls, value: str) -> str:
        country, number = _split_vat(value)
        if country == "IT" and not re.fullmatch(r"[0-9]{11}", number):
            raise ValueError(f"Italian P.IVA must be 11 digits, got {number!r}")
        return country + number

    @field_validator("regime_fiscale")
    @classmethod
    def _no_rf03(cls, value: str) -> str:
        if value == "RF03":
            raise ValueError("RF03 was abolished and is not in the FatturaPA code list")
        return value

    @property
    def vat_checksum_ok(self) -> bool:
        return self.vat_id[:2] != "IT" or iva.is_valid(self.vat_id[2:])


class Customer(_Model):
    """Cessionario/committente: VAT id and/or codice fiscale, SdI code (7 chars) or PEC."""

    name: Latin = Field(min_length=1, max_length=80)
    vat_id: str | None = None
    tax_code: str | None = Field(default=None, pattern=r"^[A-Z0-9]{11,16}$")
    sdi_code: str | None = Field(default=None, pattern=r"^[A-Z0-9]{7}$")
    pec: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=256)
    address: Address

    @field_validator("vat_id")
    @classmethod
    def _vat(cls, value: str | None) -> str | None:
        return None if value is None else "".join(_split_vat(value))

    @model_validator(mode="after")
    def _needs_fiscal_id(self) -> Customer:
        if not self.vat_id and not self.tax_code:
            raise ValueError("the customer needs a VAT id or a codice fiscale")
        return self

    @property
    def codice_destinatario(self) -> str:
        """The explicit SdI code; else XXXXXXX for foreign customers, 0000000 (PEC or consumer)."""
        if self.sdi_code:
            return self.sdi_code
        return "XXXXXXX" if self.address.country != "IT" else "0000000"


class InvoiceLine(_Model):
    """One DettaglioLinee: a VAT rate, or rate 0 with the Natura of the exemption."""

    description: Latin = Field(min_length=1, max_length=1000)
    quantity: Decimal = Field(default=Decimal(1), gt=0, max_digits=20, decimal_places=8)
    unit_price: Decimal = Field(max_digits=19, decimal_places=8)
    unit: Latin | None = Field(default=None, max_length=10)
    vat_rate: Decimal = Field(ge=0, lt=100, decimal_places=2)
    natura: str | None = Field(default=None, pattern=r"^N(1|2\.[12]|3\.[1-6]|4|5|6\.[1-9]|7)$")

    @model_validator(mode="after")
    def _natura_iff_zero(self) -> InvoiceLine:
        # SdI 00400/00401: Natura exactly when the rate is zero.
        if self.vat_rate == 0 and not self.natura:
            raise ValueError(f"line {self.description!r}: VAT rate 0 needs a Natura (SdI 00400)")
        if self.vat_rate != 0 and self.natura:
            raise ValueError(f"line {self.description!r}: Natura is only for VAT rate 0 (SdI 00401)")
        return self

    @property
    def amount(self) -> Decimal:
        """PrezzoTotale = quantity × unit price, rounded half-up to cents."""
        return round_cents(self.quantity * self.unit_price)


class PaymentTerms(_Model):
    """One DettaglioPagamento: bank transfer to an IBAN by a due date."""

    iban: str
    due_date: date
    method: str = Field(default="MP05", pattern=r"^MP(0[1-9]|1[0-9]|2[0-3])$")
    conditions: str = Field(default="TP02", pattern=r"^TP0[1-3]$")
    bank: Latin | None = Field(default=None, max_length=80)

    @field_validator("iban")
    @classmethod
    def _iban(cls, value: str) -> str:
        compact = compact_id(value)
        if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}", compact):
            raise ValueError(f"{value!r} is not an IBAN")
        return compact


class ActiveInvoice(_Model):
    """Everything needed to issue one FPR12 invoice (one body)."""

    supplier: Supplier
    customer: Customer
    number: Latin = Field(min_length=1, max_length=20, pattern=r".*[0-9].*")
    issue_date: date
    progressive: str = Field(pattern=r"^[A-Za-z0-9]{1,5}$")
    doc_type: str = Field(default="TD01", pattern=r"^TD(0[1-6]|1[6-9]|2[0-9])$")
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    lines: list[InvoiceLine] = Field(min_length=1, max_length=9999)
    payment: PaymentTerms | None = None
    order_reference: Latin | None = Field(default=None, max_length=20)
    causale: Latin | None = Field(default=None, max_length=200)


# --------------------------------------------------------------------------- totals

@dataclass(frozen=True, slots=True)
class VatSummary:
    """One DatiRiepilogo: per rate (and Natura), imponibile from the lines, imposta rounded once."""

    rate: Decimal
    natura: str | None
    taxable: Decimal
    tax: Decimal


@dataclass(frozen=True, slots=True)
class Totals:
    """The document totals, all exact Decimals."""

    summaries: tuple[VatSummary, ...]
    net: Decimal
    vat: Decimal
    total: Decimal


def compute_totals(invoice: ActiveInvoice) -> Totals:
    """DatiRiepilogo and ImportoTotaleDocumento as SdI computes them (checks 00421/00422).

    ImponibileImporto = Σ PrezzoTotale of the rate's lines; Imposta = ImponibileImporto × rate / 100
    rounded half-up to cents once per summary line (never the sum of per-line rounded taxes).
    """
    groups: dict[tuple[Decimal, str | None], Decimal] = {}
    for line in invoice.lines:
        key = (line.vat_rate, line.natura)
        groups[key] = groups.get(key, Decimal(0)) + line.amount
    summaries = tuple(
        VatSummary(rate, natura, taxable, round_cents(taxable * rate / 100))
        for (rate, natura), taxable in groups.items()
    )
    net = sum((s.taxable for s in summaries), Decimal(0))
    vat = sum((s.tax for s in summaries), Decimal(0))
    return Totals(summaries, net, vat, net + vat)


def fatturapa_filename(invoice: ActiveInvoice) -> str:
    """SdI file name ``IT<P.IVA>_<progressive>.xml`` (progressive: 1–5 alphanumerics, never reused)."""
    return f"{invoice.supplier.vat_id}_{invoice.progressive}.xml"


# --------------------------------------------------------------------------- XML

def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, tag)
    if text is not None:
        child.text = text
    return child


def _opt(parent: etree._Element, tag: str, text: str | None) -> None:
    if text:
        _sub(parent, tag, text)


def _vat_element(parent: etree._Element, tag: str, vat_id: str) -> None:
    el = _sub(parent, tag)
    _sub(el, "IdPaese", vat_id[:2])
    _sub(el, "IdCodice", vat_id[2:])


def _sede(parent: etree._Element, address: Address) -> None:
    sede = _sub(parent, "Sede")
    _sub(sede, "Indirizzo", address.street)
    _opt(sede, "NumeroCivico", address.number)
    _sub(sede, "CAP", address.postcode)
    _sub(sede, "Comune", address.city)
    _opt(sede, "Provincia", address.province)
    _sub(sede, "Nazione", address.country)


def _header(root: etree._Element, invoice: ActiveInvoice) -> None:
    header = _sub(root, "FatturaElettronicaHeader")
    transmission = _sub(header, "DatiTrasmissione")
    _vat_element(transmission, "IdTrasmittente", invoice.supplier.vat_id)
    _sub(transmission, "ProgressivoInvio", invoice.progressive)
    _sub(transmission, "FormatoTrasmissione", "FPR12")
    _sub(transmission, "CodiceDestinatario", invoice.customer.codice_destinatario)
    if invoice.customer.pec and not invoice.customer.sdi_code:
        _sub(transmission, "PECDestinatario", invoice.customer.pec)
    _supplier(header, invoice.supplier)
    _customer(header, invoice.customer)


def _supplier(header: etree._Element, supplier: Supplier) -> None:
    party = _sub(header, "CedentePrestatore")
    anag = _sub(party, "DatiAnagrafici")
    _vat_element(anag, "IdFiscaleIVA", supplier.vat_id)
    _opt(anag, "CodiceFiscale", supplier.tax_code)
    _sub(_sub(anag, "Anagrafica"), "Denominazione", supplier.name)
    _sub(anag, "RegimeFiscale", supplier.regime_fiscale)
    _sede(party, supplier.address)


def _customer(header: etree._Element, customer: Customer) -> None:
    party = _sub(header, "CessionarioCommittente")
    anag = _sub(party, "DatiAnagrafici")
    if customer.vat_id:
        _vat_element(anag, "IdFiscaleIVA", customer.vat_id)
    _opt(anag, "CodiceFiscale", customer.tax_code)
    _sub(_sub(anag, "Anagrafica"), "Denominazione", customer.name)
    _sede(party, customer.address)


def _general(body: etree._Element, invoice: ActiveInvoice, totals: Totals) -> None:
    general = _sub(body, "DatiGenerali")
    doc = _sub(general, "DatiGeneraliDocumento")
    _sub(doc, "TipoDocumento", invoice.doc_type)
    _sub(doc, "Divisa", invoice.currency)
    _sub(doc, "Data", invoice.issue_date.isoformat())
    _sub(doc, "Numero", invoice.number)
    _sub(doc, "ImportoTotaleDocumento", xml_decimal(totals.total, 2, 2))
    _opt(doc, "Causale", invoice.causale)
    if invoice.order_reference:
        _sub(_sub(general, "DatiOrdineAcquisto"), "IdDocumento", invoice.order_reference)


def _goods(body: etree._Element, invoice: ActiveInvoice, totals: Totals) -> None:
    goods = _sub(body, "DatiBeniServizi")
    for number, line in enumerate(invoice.lines, start=1):
        el = _sub(goods, "DettaglioLinee")
        _sub(el, "NumeroLinea", str(number))
        _sub(el, "Descrizione", line.description)
        _sub(el, "Quantita", xml_decimal(line.quantity))
        _opt(el, "UnitaMisura", line.unit)
        _sub(el, "PrezzoUnitario", xml_decimal(line.unit_price))
        _sub(el, "PrezzoTotale", xml_decimal(line.amount, 2, 2))
        _sub(el, "AliquotaIVA", xml_decimal(line.vat_rate, 2, 2))
        _opt(el, "Natura", line.natura)
    for summary in totals.summaries:
        el = _sub(goods, "DatiRiepilogo")
        _sub(el, "AliquotaIVA", xml_decimal(summary.rate, 2, 2))
        _opt(el, "Natura", summary.natura)
        _sub(el, "ImponibileImporto", xml_decimal(summary.taxable, 2, 2))
        _sub(el, "Imposta", xml_decimal(summary.tax, 2, 2))
        if summary.natura:
            _sub(el, "RiferimentoNormativo", NATURE_DESCRIPTIONS[summary.natura])
        else:
            _sub(el, "EsigibilitaIVA", "I")  # immediate; split payment (S) is not supported here


def _payment(body: etree._Element, invoice: ActiveInvoice, totals: Totals) -> None:
    if invoice.payment is None:
        return
    terms = _sub(body, "DatiPagamento")
    _sub(terms, "CondizioniPagamento", invoice.payment.conditions)
    detail = _sub(terms, "DettaglioPagamento")
    _sub(detail, "ModalitaPagamento", invoice.payment.method)
    _sub(detail, "DataScadenzaPagamento", invoice.payment.due_date.isoformat())
    _sub(detail, "ImportoPagamento", xml_decimal(totals.total, 2, 2))
    _opt(detail, "IstitutoFinanziario", invoice.payment.bank)
    _sub(detail, "IBAN", invoice.payment.iban)


def build_fatturapa(invoice: ActiveInvoice) -> bytes:
    """The FPR12 XML (UTF-8) of an invoice; it validates against the FatturaPA 1.2.2 XSD."""
    root = etree.Element(f"{{{NAMESPACE}}}FatturaElettronica", nsmap={"p": NAMESPACE}, versione="FPR12")
    totals = compute_totals(invoice)
    _header(root, invoice)
    body = _sub(root, "FatturaElettronicaBody")
    _general(body, invoice, totals)
    _goods(body, invoice, totals)
    _payment(body, invoice, totals)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# --------------------------------------------------------------------------- courtesy PDF

def _it_amount(value: Decimal) -> str:
    """Italian money format for people: 1.234,50."""
    text = f"{round_cents(value):,.2f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def _it_number(value: Decimal) -> str:
    return canonical_number(value).replace(".", ",")


def _it_date(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def _party_block(title: str, name: str, ids: list[str], address: Address) -> str:
    street = " ".join(p for p in (address.street, address.number) if p)
    town = " ".join(p for p in (address.postcode, address.city) if p)
    if address.province:
        town += f" ({address.province})"
    rows = [f"<b>{title}</b>", f"<b>{_esc(name)}</b>", _esc(street), _esc(town), *ids]
    return "<br/>".join(rows)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _table(rows: list[list[str]], widths: list[float], numeric_from: int) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
        ("FONT", (0, 1), (-1, -1), "Helvetica", 9),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
        ("ALIGN", (numeric_from, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table


def _line_rows(invoice: ActiveInvoice, style: object) -> list[list[object]]:
    rows: list[list[object]] = [["Descrizione", "Quantità", "Prezzo unitario", "Importo", "IVA %"]]
    for line in invoice.lines:
        rate = line.natura or _it_number(line.vat_rate)
        rows.append([Paragraph(_esc(line.description), style), _it_number(line.quantity),
                     _it_amount(line.unit_price) if line.unit_price == round_cents(line.unit_price)
                     else _it_number(line.unit_price), _it_amount(line.amount), rate])
    return rows


def _summary_rows(totals: Totals) -> list[list[str]]:
    rows = [["Aliquota / Natura", "Imponibile", "Imposta"]]
    for s in totals.summaries:
        label = f"{_it_number(s.rate)}%" + (f" {s.natura}" if s.natura else "")
        rows.append([label, _it_amount(s.taxable), _it_amount(s.tax)])
    return rows


def _parties(invoice: ActiveInvoice, style: object) -> Table:
    supplier, customer = invoice.supplier, invoice.customer
    supplier_ids = [f"P.IVA {supplier.vat_id}"] + ([f"C.F. {supplier.tax_code}"] if supplier.tax_code else [])
    customer_ids = ([f"P.IVA {customer.vat_id}"] if customer.vat_id else []) + (
        [f"C.F. {customer.tax_code}"] if customer.tax_code else [])
    cells = [
        Paragraph(_party_block("Cedente / Prestatore", supplier.name, supplier_ids, supplier.address), style),
        Paragraph(_party_block("Cessionario / Committente", customer.name, customer_ids, customer.address),
                  style),
    ]
    return Table([cells], colWidths=[87 * mm, 87 * mm])


def payment_text(payment: PaymentTerms) -> str:
    """The payment line of the courtesy copy (ReportLab markup): how, to which IBAN, by when."""
    how = "bonifico" if payment.method == "MP05" else payment.method
    bank = f" ({_esc(payment.bank)})" if payment.bank else ""
    due = _it_date(payment.due_date)
    return f"Pagamento: {how} su IBAN <b>{payment.iban}</b>{bank}, scadenza <b>{due}</b>"


def _story(invoice: ActiveInvoice, totals: Totals) -> list[object]:
    styles = getSampleStyleSheet()
    normal = styles["Normal"]
    title = DOC_TITLES.get(invoice.doc_type, "DOCUMENTO")
    story: list[object] = [
        _parties(invoice, normal), Spacer(1, 8 * mm),
        Paragraph(f"<b>{title} n. {_esc(invoice.number)} del {_it_date(invoice.issue_date)}</b>",
                  styles["Heading2"]),
    ]
    if invoice.order_reference:
        story.append(Paragraph(f"Rif. ordine: {_esc(invoice.order_reference)}", normal))
    if invoice.causale:
        story.append(Paragraph(f"Causale: {_esc(invoice.causale)}", normal))
    story += [
        Spacer(1, 4 * mm),
        _table(_line_rows(invoice, normal), [84 * mm, 20 * mm, 26 * mm, 26 * mm, 18 * mm], 1),
        Spacer(1, 6 * mm),
        _table(_summary_rows(totals), [50 * mm, 35 * mm, 35 * mm], 1),
        Spacer(1, 4 * mm),
        _table([["Totale imponibile", _it_amount(totals.net)], ["Totale IVA", _it_amount(totals.vat)],
                [f"Totale documento ({invoice.currency})", _it_amount(totals.total)]],
               [50 * mm, 35 * mm], 1),
    ]
    if invoice.payment:
        story += [Spacer(1, 6 * mm), Paragraph(payment_text(invoice.payment), normal)]
    story += [Spacer(1, 10 * mm), Paragraph(
        "Copia di cortesia. Il documento fiscalmente valido è il file XML "
        f"{fatturapa_filename(invoice)} trasmesso tramite il Sistema di Interscambio.", styles["Italic"])]
    return story


def courtesy_pdf(invoice: ActiveInvoice) -> bytes:
    """A readable PDF copy of the invoice for people, with the same values as the XML.

    Amounts are printed the Italian way (1.234,50) and dates as dd/mm/yyyy, as on real paper invoices;
    the footer says the legally valid original is the XML sent through SdI.
    """
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                            topMargin=18 * mm, bottomMargin=18 * mm,
                            title=f"{invoice.supplier.name} {invoice.number}", author=invoice.supplier.name)
    doc.build(_story(invoice, compute_totals(invoice)))
    return buffer.getvalue()
