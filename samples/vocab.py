"""Label vocabularies, date formats and number formats for the sample languages."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

LANGUAGES = ("it", "en", "de", "fr", "es")

MONTHS = {
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "en": "January February March April May June July August September October November December",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
}

# Several spellings per label, so that a model trained on the samples meets more than one template.
LABELS: dict[str, dict[str, list[str]]] = {
    "it": {
        "currency": ["Valuta", "Divisa"],
        "invoice": ["FATTURA", "Fattura", "FATTURA ELETTRONICA - COPIA DI CORTESIA", "Fattura di vendita"],
        "credit_note": ["NOTA DI CREDITO", "Nota di credito"],
        "number": ["Fattura n.", "Numero", "N. documento", "Fattura N°", "Numero fattura"],
        "cn_number": ["Nota di credito n.", "Numero", "N. documento"],
        "date": ["Data", "Data documento", "Data fattura", "del"],
        "due_date": ["Scadenza", "Data scadenza", "Scadenza pagamento"],
        "vat_id": ["Partita IVA", "P.IVA", "P. IVA", "P.I."],
        "tax_code": ["Codice fiscale", "C.F.", "Cod. Fisc."],
        "customer": ["Spett.le", "Cliente", "Destinatario", "Intestatario"],
        "supplier": ["Fornitore", "Cedente/Prestatore", "Emittente"],
        "description": ["Descrizione", "Descrizione beni/servizi", "Articolo"],
        "quantity": ["Q.tà", "Quantità", "Qtà"],
        "unit_price": ["Prezzo unit.", "Prezzo", "Pr. unitario"],
        "amount": ["Importo", "Totale", "Imponibile"],
        "vat_rate": ["IVA %", "Aliq. IVA", "% IVA"],
        "net": ["Imponibile", "Totale imponibile", "Totale merce"],
        "vat": ["IVA", "Imposta", "Totale IVA"],
        "total": ["Totale documento", "TOTALE", "Totale fattura", "Netto a pagare"],
        "iban": ["IBAN", "Coordinate bancarie IBAN", "Bonifico su IBAN"],
        "payment": ["Modalità di pagamento", "Pagamento", "Condizioni di pagamento"],
        "order_ref": ["Rif. ordine", "Vs. ordine n.", "Riferimento ordine"],
        "vat_summary": ["Riepilogo IVA", "Castelletto IVA"],
        "reference": ["a storno della fattura n.", "rif. fattura n."],
        "page": ["Pagina", "Pag."],
    },
    "en": {
        "currency": ["Currency"],
        "invoice": ["INVOICE", "Invoice", "TAX INVOICE"],
        "credit_note": ["CREDIT NOTE", "Credit Note"],
        "number": ["Invoice No.", "Invoice number", "Invoice #", "Number"],
        "cn_number": ["Credit note No.", "Number", "Credit Note #"],
        "date": ["Date", "Invoice date", "Issue date"],
        "due_date": ["Due date", "Payment due", "Due"],
        "vat_id": ["VAT No.", "VAT number", "VAT Reg. No."],
        "tax_code": ["Tax code", "Fiscal code"],
        "customer": ["Bill to", "Customer", "Invoice to", "Sold to"],
        "supplier": ["From", "Supplier", "Seller"],
        "description": ["Description", "Item", "Product / service"],
        "quantity": ["Qty", "Quantity", "Units"],
        "unit_price": ["Unit price", "Price", "Rate"],
        "amount": ["Amount", "Total", "Line total"],
        "vat_rate": ["VAT %", "Tax rate", "VAT"],
        "net": ["Subtotal", "Net amount", "Total net"],
        "vat": ["VAT", "Tax", "Total VAT"],
        "total": ["Total", "TOTAL DUE", "Amount due", "Invoice total"],
        "iban": ["IBAN", "Bank account (IBAN)"],
        "payment": ["Payment terms", "Terms", "Payment"],
        "order_ref": ["PO number", "Your order", "Order ref."],
        "vat_summary": ["VAT summary", "Tax summary"],
        "reference": ["relating to invoice no.", "credit for invoice"],
        "page": ["Page"],
    },
    "de": {
        "currency": ["Währung"],
        "invoice": ["RECHNUNG", "Rechnung"],
        "credit_note": ["GUTSCHRIFT", "Gutschrift", "Rechnungskorrektur"],
        "number": ["Rechnungsnummer", "Rechnung Nr.", "Rechnungs-Nr."],
        "cn_number": ["Gutschrift Nr.", "Belegnummer"],
        "date": ["Datum", "Rechnungsdatum", "Belegdatum"],
        "due_date": ["Fällig am", "Zahlbar bis", "Fälligkeit"],
        "vat_id": ["USt-IdNr.", "USt-ID", "Umsatzsteuer-ID"],
        "tax_code": ["Steuer-Nr.", "Steuernummer"],
        "customer": ["Rechnungsempfänger", "Kunde", "An"],
        "supplier": ["Lieferant", "Von"],
        "description": ["Beschreibung", "Artikel", "Bezeichnung"],
        "quantity": ["Menge", "Anz."],
        "unit_price": ["Einzelpreis", "E-Preis", "Preis"],
        "amount": ["Betrag", "Gesamt", "Gesamtpreis"],
        "vat_rate": ["MwSt. %", "USt %", "Steuersatz"],
        "net": ["Nettobetrag", "Summe netto", "Zwischensumme"],
        "vat": ["MwSt.", "USt.", "Umsatzsteuer"],
        "total": ["Gesamtbetrag", "Rechnungsbetrag", "Summe brutto", "Endbetrag"],
        "iban": ["IBAN", "Bankverbindung IBAN"],
        "payment": ["Zahlungsbedingungen", "Zahlungsziel"],
        "order_ref": ["Ihre Bestellung", "Bestell-Nr.", "Auftragsnummer"],
        "vat_summary": ["Steuerübersicht"],
        "reference": ["zur Rechnung Nr.", "Korrektur der Rechnung"],
        "page": ["Seite"],
    },
    "fr": {
        "currency": ["Devise"],
        "invoice": ["FACTURE", "Facture"],
        "credit_note": ["AVOIR", "Facture d'avoir"],
        "number": ["Facture n°", "Numéro de facture", "N° facture"],
        "cn_number": ["Avoir n°", "Numéro"],
        "date": ["Date", "Date de facture", "Date d'émission"],
        "due_date": ["Échéance", "Date d'échéance", "À payer avant le"],
        "vat_id": ["N° TVA", "TVA intracom.", "N° TVA intracommunautaire"],
        "tax_code": ["SIRET", "N° fiscal"],
        "customer": ["Client", "Facturé à", "Destinataire"],
        "supplier": ["Fournisseur", "Émetteur"],
        "description": ["Désignation", "Description", "Libellé"],
        "quantity": ["Qté", "Quantité"],
        "unit_price": ["Prix unit. HT", "P.U. HT", "Prix unitaire"],
        "amount": ["Montant HT", "Total HT", "Montant"],
        "vat_rate": ["TVA %", "Taux TVA"],
        "net": ["Total HT", "Montant HT", "Sous-total HT"],
        "vat": ["TVA", "Total TVA", "Montant TVA"],
        "total": ["Total TTC", "Net à payer", "Montant TTC"],
        "iban": ["IBAN", "RIB / IBAN"],
        "payment": ["Conditions de paiement", "Règlement", "Mode de paiement"],
        "order_ref": ["Votre commande", "Réf. commande", "Bon de commande n°"],
        "vat_summary": ["Récapitulatif TVA"],
        "reference": ["relatif à la facture n°", "annule la facture n°"],
        "page": ["Page"],
    },
    "es": {
        "currency": ["Moneda", "Divisa"],
        "invoice": ["FACTURA", "Factura"],
        "credit_note": ["FACTURA RECTIFICATIVA", "Nota de crédito", "ABONO"],
        "number": ["Factura n.º", "Número de factura", "Nº Factura"],
        "cn_number": ["Rectificativa n.º", "Número", "Abono n.º"],
        "date": ["Fecha", "Fecha de factura", "Fecha de emisión"],
        "due_date": ["Vencimiento", "Fecha de vencimiento"],
        "vat_id": ["NIF", "CIF", "NIF-IVA"],
        "tax_code": ["NIF", "Código fiscal"],
        "customer": ["Cliente", "Facturar a", "Destinatario"],
        "supplier": ["Proveedor", "Emisor"],
        "description": ["Descripción", "Concepto", "Artículo"],
        "quantity": ["Cant.", "Cantidad", "Uds."],
        "unit_price": ["Precio unit.", "Precio", "P. unitario"],
        "amount": ["Importe", "Total", "Subtotal"],
        "vat_rate": ["IVA %", "Tipo IVA"],
        "net": ["Base imponible", "Subtotal", "Total base"],
        "vat": ["IVA", "Cuota IVA", "Total IVA"],
        "total": ["Total factura", "TOTAL", "Importe total"],
        "iban": ["IBAN", "Cuenta bancaria IBAN"],
        "payment": ["Forma de pago", "Condiciones de pago"],
        "order_ref": ["Su pedido", "Ref. pedido", "Nº pedido"],
        "vat_summary": ["Resumen de IVA"],
        "reference": ["rectifica la factura n.º", "referente a la factura n.º"],
        "page": ["Página"],
    },
}

# Phrases printed under the totals when no VAT is charged, by language.
REVERSE_CHARGE = {
    "it": "Operazione soggetta a inversione contabile (reverse charge) art. 17 c. 6 DPR 633/72",
    "en": "Reverse charge: VAT to be accounted for by the recipient (Art. 196 Directive 2006/112/EC)",
    "de": "Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge, § 13b UStG)",
    "fr": "Autoliquidation - TVA due par le preneur (art. 283-2 du CGI)",
    "es": "Inversión del sujeto pasivo (art. 84 Ley 37/1992)",
}


@dataclass(frozen=True, slots=True)
class Style:
    """How one document writes dates and numbers; chosen once per document."""

    language: str
    date_format: str
    decimal_sep: str
    thousands_sep: str
    currency_style: str  # "prefix", "suffix", "code" or "none"

    def date(self, value: dt.date) -> str:
        return format_date(value, self.date_format, self.language)

    def number(self, value: Decimal, *, places: int = 2) -> str:
        return format_number(value, self.decimal_sep, self.thousands_sep, places=places)

    def quantity(self, value: Decimal) -> str:
        text = canonical_quantity(value)
        return text.replace(".", self.decimal_sep)

    def money(self, value: Decimal, currency: str) -> tuple[str, str, str]:
        """The amount as (before, number, after) so the number's own box can be recorded."""
        symbol = {"EUR": "€", "GBP": "£", "USD": "$"}.get(currency, currency)
        number = self.number(value)
        if self.currency_style == "prefix":
            return symbol, number, ""
        if self.currency_style == "suffix":
            return "", number, symbol
        if self.currency_style == "code":
            return currency, number, ""
        return "", number, ""


DATE_FORMATS = {
    "it": ["dd/mm/yyyy", "dd-mm-yyyy", "dd.mm.yyyy", "d month yyyy"],
    "en-GB": ["dd/mm/yyyy", "d month yyyy", "yyyy-mm-dd"],
    "en-US": ["month d, yyyy", "mm/dd/yyyy"],
    "de": ["dd.mm.yyyy", "d.m.yyyy", "d. month yyyy"],
    "fr": ["dd/mm/yyyy", "d month yyyy"],
    "es": ["dd/mm/yyyy", "d de month de yyyy", "dd-mm-yyyy"],
}


def choose_style(rng: random.Random, language: str, *, us: bool = False) -> Style:
    """Pick a date format, number format and currency placement typical for the language."""
    key = "en-US" if us else ("en-GB" if language == "en" else language)
    date_format = rng.choice(DATE_FORMATS[key])
    if language == "en":
        decimal_sep, thousands_sep = ".", ","
    elif language == "fr":
        decimal_sep, thousands_sep = ",", rng.choice([" ", "."])
    else:
        decimal_sep, thousands_sep = ",", rng.choice([".", ".", ""])
    currency_style = rng.choice(["prefix", "suffix", "code", "none"] if language != "en" else ["prefix", "code"])
    return Style(language, date_format, decimal_sep, thousands_sep, currency_style)


def format_date(value: dt.date, pattern: str, language: str) -> str:
    month_name = MONTHS[language].split()[value.month - 1]
    replacements = {
        "dd/mm/yyyy": f"{value.day:02d}/{value.month:02d}/{value.year}",
        "mm/dd/yyyy": f"{value.month:02d}/{value.day:02d}/{value.year}",
        "dd-mm-yyyy": f"{value.day:02d}-{value.month:02d}-{value.year}",
        "dd.mm.yyyy": f"{value.day:02d}.{value.month:02d}.{value.year}",
        "d.m.yyyy": f"{value.day}.{value.month}.{value.year}",
        "yyyy-mm-dd": value.isoformat(),
        "d month yyyy": f"{value.day} {month_name} {value.year}",
        "d. month yyyy": f"{value.day}. {month_name} {value.year}",
        "month d, yyyy": f"{month_name} {value.day}, {value.year}",
        "d de month de yyyy": f"{value.day} de {month_name} de {value.year}",
    }
    return replacements[pattern]


def format_number(value: Decimal, decimal_sep: str, thousands_sep: str, *, places: int = 2) -> str:
    text = f"{abs(value):,.{places}f}"  # "1,234.56"
    whole, _, frac = text.partition(".")
    whole = whole.replace(",", thousands_sep)
    sign = "-" if value < 0 else ""
    return f"{sign}{whole}{decimal_sep}{frac}" if places else f"{sign}{whole}"


def canonical_amount(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):.2f}"


def canonical_quantity(value: Decimal) -> str:
    """'3' for 3.00, '2.5' for 2.50: no exponent, no trailing zeros."""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def canonical_rate(value: Decimal) -> str:
    return canonical_quantity(value)


def label(rng: random.Random, language: str, key: str) -> str:
    return rng.choice(LABELS[language][key])
