"""What each synthetic document says: parties, numbers, dates, lines and exactly computed totals."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from samples import parties
from samples.parties import Party
from samples.vocab import Style, canonical_amount, canonical_quantity, canonical_rate, choose_style

CENT = Decimal("0.01")
DOC_KINDS = ("invoice", "credit_note", "receipt", "contract", "order")

# (description by language, low price, high price, Italian VAT rate, natura when the rate is 0)
CATALOG: list[tuple[dict[str, str], int, int, str, str | None]] = [
    (
        {
            "it": "Consulenza tecnica specialistica",
            "en": "Technical consulting",
            "de": "Technische Beratung",
            "fr": "Conseil technique",
            "es": "Consultoría técnica",
        },
        60,
        140,
        "22",
        None,
    ),
    (
        {
            "it": "Manutenzione ordinaria impianto",
            "en": "Scheduled maintenance",
            "de": "Wartung der Anlage",
            "fr": "Maintenance préventive",
            "es": "Mantenimiento preventivo",
        },
        80,
        900,
        "22",
        None,
    ),
    (
        {
            "it": "Carta A4 80 g/m² (risma)",
            "en": "A4 copy paper 80 gsm (ream)",
            "de": "Kopierpapier A4 80 g",
            "fr": "Papier A4 80 g (ramette)",
            "es": "Papel A4 80 g (resma)",
        },
        3,
        7,
        "22",
        None,
    ),
    (
        {
            "it": "Toner nero per stampante laser",
            "en": "Black toner cartridge",
            "de": "Tonerkartusche schwarz",
            "fr": "Cartouche de toner noir",
            "es": "Cartucho de tóner negro",
        },
        35,
        140,
        "22",
        None,
    ),
    (
        {
            "it": "Canone annuale licenza software",
            "en": "Annual software licence",
            "de": "Softwarelizenz (jährlich)",
            "fr": "Licence logicielle annuelle",
            "es": "Licencia de software anual",
        },
        300,
        4000,
        "22",
        None,
    ),
    (
        {
            "it": "Trasporto e consegna merce",
            "en": "Freight and delivery",
            "de": "Fracht und Lieferung",
            "fr": "Transport et livraison",
            "es": "Transporte y entrega",
        },
        25,
        350,
        "22",
        None,
    ),
    (
        {
            "it": "Ore di lavoro tecnico",
            "en": "Engineering hours",
            "de": "Arbeitsstunden Techniker",
            "fr": "Heures de main-d'œuvre",
            "es": "Horas de trabajo técnico",
        },
        35,
        75,
        "22",
        None,
    ),
    (
        {
            "it": "Cavo elettrico FG16 3x2,5 mm² (m)",
            "en": "Power cable 3x2.5 mm² (m)",
            "de": "Kabel 3x2,5 mm² (m)",
            "fr": "Câble électrique 3x2,5 mm² (m)",
            "es": "Cable eléctrico 3x2,5 mm² (m)",
        },
        1,
        4,
        "22",
        None,
    ),
    (
        {
            "it": "Servizio di ristorazione aziendale",
            "en": "Catering service",
            "de": "Catering-Service",
            "fr": "Service de restauration",
            "es": "Servicio de catering",
        },
        12,
        40,
        "10",
        None,
    ),
    (
        {
            "it": "Lavori di ristrutturazione edilizia",
            "en": "Building renovation works",
            "de": "Renovierungsarbeiten",
            "fr": "Travaux de rénovation",
            "es": "Obras de reforma",
        },
        800,
        9000,
        "10",
        None,
    ),
    (
        {
            "it": "Volumi tecnici e manuali",
            "en": "Technical books",
            "de": "Fachbücher",
            "fr": "Livres techniques",
            "es": "Libros técnicos",
        },
        15,
        90,
        "4",
        None,
    ),
    (
        {
            "it": "Prestazioni socio-sanitarie",
            "en": "Social care services",
            "de": "Sozialpflegeleistungen",
            "fr": "Services médico-sociaux",
            "es": "Servicios sociosanitarios",
        },
        40,
        300,
        "5",
        None,
    ),
    (
        {
            "it": "Corso di formazione (esente art. 10)",
            "en": "Training course",
            "de": "Schulung",
            "fr": "Formation",
            "es": "Curso de formación",
        },
        200,
        1500,
        "0",
        "N4",
    ),
    (
        {
            "it": "Rimborso imposta di bollo",
            "en": "Stamp duty",
            "de": "Stempelgebühr",
            "fr": "Droit de timbre",
            "es": "Impuesto de timbre",
        },
        2,
        2,
        "0",
        "N1",
    ),
]
FOREIGN_RATES = {"DE": "19", "FR": "20", "ES": "21", "GB": "20", "US": "0"}


@dataclass(slots=True)
class Line:
    """One invoice or order line; amounts are exact decimals."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    natura: str | None = None

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(CENT, ROUND_HALF_UP)

    def as_json(self) -> dict[str, str]:
        return {
            "description": self.description,
            "quantity": canonical_quantity(self.quantity),
            "unit_price": canonical_amount(self.unit_price),
            "amount": canonical_amount(self.amount),
            "vat_rate": canonical_rate(self.vat_rate),
        }


@dataclass(slots=True)
class VatRow:
    """One row of the VAT summary: the lines at one rate (and natura), their net and the tax on it."""

    rate: Decimal
    natura: str | None
    net: Decimal
    vat: Decimal


@dataclass(slots=True)
class Document:
    """Everything a layout needs to draw one document, plus its ground truth in canonical form."""

    doc_type: str
    language: str
    style: Style
    currency: str = "EUR"
    supplier: Party | None = None
    customer: Party | None = None
    number: str = ""
    issue_date: dt.date | None = None
    due_date: dt.date | None = None
    lines: list[Line] = field(default_factory=list)
    vat_rows: list[VatRow] = field(default_factory=list)
    net: Decimal = Decimal(0)
    vat: Decimal = Decimal(0)
    total: Decimal = Decimal(0)
    iban: str | None = None
    payment_terms: str | None = None
    order_reference: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)


def compute_totals(lines: list[Line]) -> tuple[list[VatRow], Decimal, Decimal, Decimal]:
    """Net is the sum of the lines, VAT is rounded half-up per rate, total is net plus VAT."""
    groups: dict[tuple[Decimal, str | None], Decimal] = {}
    for line in lines:
        key = (line.vat_rate, line.natura)
        groups[key] = groups.get(key, Decimal(0)) + line.amount
    rows = [
        VatRow(rate, natura, net, (net * rate / 100).quantize(CENT, ROUND_HALF_UP))
        for (rate, natura), net in sorted(groups.items(), key=lambda kv: (-kv[0][0], kv[0][1] or ""))
    ]
    net = sum((r.net for r in rows), Decimal(0))
    vat = sum((r.vat for r in rows), Decimal(0))
    return rows, net, vat, net + vat


def random_date(rng: random.Random) -> dt.date:
    return dt.date(2023, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 3 + 200))


def choose_language(rng: random.Random, kind: str, languages: tuple[str, ...] | None) -> str:
    """Italian first; foreign documents in the proportions a back office in Italy would see."""
    weights = {
        "invoice": {"it": 55, "en": 15, "de": 12, "fr": 9, "es": 9},
        "credit_note": {"it": 65, "en": 15, "de": 10, "fr": 5, "es": 5},
        "receipt": {"it": 70, "en": 5, "de": 10, "fr": 8, "es": 7},
        "contract": {"it": 70, "en": 30},
        "order": {"it": 75, "en": 25},
    }[kind]
    choices = [lang for lang in weights if languages is None or lang in languages]
    if not choices:
        choices = ["it"]
    return rng.choices(choices, weights=[weights[c] for c in choices])[0]


def supplier_for(rng: random.Random, language: str) -> Party:
    if language == "it":
        return parties.italian_company(rng)
    country = {"de": "DE", "fr": "FR", "es": "ES"}.get(language) or rng.choice(["GB", "GB", "US"])
    return parties.foreign_company(rng, country)


def invoice_number(rng: random.Random, year: int) -> str:
    n = rng.randint(1, 4999)
    patterns = [
        f"{n}",
        f"{n}/{year}",
        f"FT{year}/{n:04d}",
        f"{n}/PA",
        f"{year % 100}-{n:05d}",
        f"A{n:03d}",
        f"INV-{year}-{n:04d}",
        f"{year}{n:06d}",
    ]
    return rng.choice(patterns)


def make_lines(rng: random.Random, language: str, country: str, count: int, *, sign: int = 1) -> list[Line]:
    """Line items; foreign suppliers charge their own rate or none (reverse charge to an Italian buyer)."""
    lines: list[Line] = []
    foreign_rate = None
    if country != "IT":
        foreign_rate = Decimal(FOREIGN_RATES[country] if rng.random() < 0.4 else "0")
    for item in rng.sample(CATALOG[:-1], k=min(count, len(CATALOG) - 1)):
        names, low, high, rate, natura = item
        quantity = Decimal(rng.choice([1, 1, 2, 3, 4, 5, 10, 12, 20, 50]))
        if "hour" in names["en"].lower() and rng.random() < 0.5:
            quantity = Decimal(rng.randint(2, 40)) / 2
        price = Decimal(rng.uniform(low, high)).quantize(CENT, ROUND_HALF_UP)
        if foreign_rate is not None:
            rate, natura = str(foreign_rate), None
        lines.append(Line(names[language], quantity, sign * price, Decimal(rate), natura))
    if country == "IT" and rng.random() < 0.15:
        names, _, _, rate, natura = CATALOG[-1]
        lines.append(Line(names[language], Decimal(1), sign * Decimal("2.00"), Decimal(rate), natura))
    return lines


def payment_terms(rng: random.Random, language: str, days: int) -> str:
    options = {
        "it": [
            f"Bonifico bancario {days} gg d.f.",
            f"Bonifico a {days} giorni data fattura",
            f"RiBa {days} gg",
            "Rimessa diretta",
        ],
        "en": [f"Net {days}", f"Bank transfer within {days} days", f"{days} days from invoice date"],
        "de": [f"Zahlbar innerhalb von {days} Tagen ohne Abzug", f"{days} Tage netto", "Überweisung"],
        "fr": [f"Virement à {days} jours", f"Paiement à {days} jours date de facture"],
        "es": [f"Transferencia a {days} días", f"Pago a {days} días fecha factura"],
    }
    return rng.choice(options[language])


def build(kind: str, rng: random.Random, language: str) -> Document:
    """A document of the given kind in the given language, with its truth fields filled in."""
    builders = {
        "invoice": _invoice,
        "credit_note": _credit_note,
        "receipt": _receipt,
        "contract": _contract,
        "order": _order,
    }
    return builders[kind](rng, language)


def _invoice(rng: random.Random, language: str, *, doc_type: str = "invoice", sign: int = 1) -> Document:
    supplier = supplier_for(rng, language)
    us = supplier.country == "US"
    style = choose_style(rng, language, us=us)
    customer = parties.italian_company(rng) if rng.random() < 0.85 else parties.italian_public_body(rng)
    if language == "it" and rng.random() < 0.1:
        customer = parties.private_customer(rng)
    issue = random_date(rng)
    days = rng.choice([0, 30, 30, 60, 90])
    lines = make_lines(rng, language, supplier.country, rng.randint(1, 9), sign=sign)
    rows, net, vat, total = compute_totals(lines)
    currency = parties.FOREIGN.get(supplier.country, {}).get("currency", "EUR")
    iban = parties.italian_iban(rng) if supplier.country == "IT" else parties.foreign_iban(rng, supplier.country)
    doc = Document(
        doc_type,
        language,
        style,
        currency,
        supplier,
        customer,
        number=invoice_number(rng, issue.year),
        issue_date=issue,
        due_date=issue + dt.timedelta(days=days) if days else None,
        lines=lines,
        vat_rows=rows,
        net=net,
        vat=vat,
        total=total,
        iban=iban if rng.random() < 0.85 else None,
        payment_terms=payment_terms(rng, language, days or 30) if rng.random() < 0.7 else None,
        order_reference=f"{rng.choice(['45', 'PO', 'ORD'])}{rng.randint(100000, 999999)}"
        if rng.random() < 0.35
        else None,
    )
    doc.extra["reverse_charge"] = supplier.country != "IT" and vat == 0
    doc.fields = _invoice_fields(doc)
    return doc


def _invoice_fields(doc: Document) -> dict[str, Any]:
    supplier, customer = doc.supplier, doc.customer
    assert supplier is not None and customer is not None and doc.issue_date is not None
    fields: dict[str, Any] = {
        "supplier_name": supplier.name,
        "supplier_vat": supplier.vat,
        "supplier_tax_code": supplier.tax_code,
        "supplier_address": supplier.address,
        "customer_name": customer.name,
        "customer_vat": customer.vat,
        "customer_tax_code": customer.tax_code if customer.tax_code != (customer.vat or "")[2:] else None,
        "invoice_number": doc.number,
        "issue_date": doc.issue_date.isoformat(),
        "due_date": doc.due_date.isoformat() if doc.due_date else None,
        "currency": doc.currency,
        "net_amount": canonical_amount(doc.net),
        "vat_amount": canonical_amount(doc.vat),
        # one rate only: with mixed rates the document has no single rate to report
        "vat_rate": canonical_rate(doc.vat_rows[0].rate) if len(doc.vat_rows) == 1 else None,
        "total_amount": canonical_amount(doc.total),
        "iban": doc.iban,
        "payment_terms": doc.payment_terms,
        "order_reference": doc.order_reference,
    }
    # the company tax code printed only when it differs from the VAT number, as on real invoices
    if supplier.tax_code == (supplier.vat or "")[2:]:
        fields["supplier_tax_code"] = None
    return {k: v for k, v in fields.items() if v is not None}


def _credit_note(rng: random.Random, language: str) -> Document:
    negative = rng.random() < 0.4
    doc = _invoice(rng, language, doc_type="credit_note", sign=-1 if negative else 1)
    assert doc.issue_date is not None
    doc.extra["reference_number"] = invoice_number(rng, doc.issue_date.year)
    doc.extra["reference_date"] = doc.issue_date - dt.timedelta(days=rng.randint(5, 120))
    return doc


def _receipt(rng: random.Random, language: str) -> Document:
    shop = supplier_for(rng, language) if language != "en" else parties.foreign_company(rng, "GB")
    style = choose_style(rng, language)
    names = {
        "it": ["Bar Centrale", "Ristorante Da Mario", "Farmacia Comunale", "Cartoleria Europa", "Autogrill"],
        "de": ["Bäckerei Schmidt", "Café am Markt", "Apotheke am Rathaus"],
        "fr": ["Boulangerie du Centre", "Café de la Gare", "Pharmacie Centrale"],
        "es": ["Cafetería La Plaza", "Farmacia Central", "Restaurante El Puerto"],
        "en": ["The Crown Café", "City Pharmacy", "Station Newsagent"],
    }
    # the shop's sign plus the legal form of the company behind it
    shop = Party(
        f"{rng.choice(names[language])} {shop.name.split()[-1]}",
        shop.street,
        shop.city_line,
        shop.country,
        shop.vat,
        shop.vat_display,
        shop.tax_code,
    )
    items = {
        "it": [
            ("Caffè", "1.20"),
            ("Cornetto", "1.50"),
            ("Acqua minerale", "1.00"),
            ("Panino", "5.50"),
            ("Quaderno A4", "3.90"),
            ("Coperto", "2.50"),
            ("Pranzo di lavoro", "15.00"),
        ],
        "de": [("Kaffee", "2.80"), ("Brezel", "1.40"), ("Mineralwasser", "2.20"), ("Mittagsmenü", "12.90")],
        "fr": [("Café", "2.10"), ("Croissant", "1.30"), ("Eau minérale", "2.00"), ("Menu du jour", "14.50")],
        "es": [("Café con leche", "1.80"), ("Tostada", "2.50"), ("Agua", "1.50"), ("Menú del día", "12.00")],
        "en": [("Coffee", "2.90"), ("Sandwich", "4.50"), ("Water", "1.20"), ("Lunch menu", "11.50")],
    }[language]
    rate = {"it": "10", "de": "19", "fr": "10", "es": "10", "en": "20"}[language]
    lines = [
        Line(name, Decimal(rng.randint(1, 3)), Decimal(price), Decimal(rate))
        for name, price in rng.sample(items, k=rng.randint(1, min(4, len(items))))
    ]
    # receipt prices include VAT; the VAT share is printed as "di cui IVA"
    total = sum((line.amount for line in lines), Decimal(0))
    vat = (total * Decimal(rate) / (100 + Decimal(rate))).quantize(CENT, ROUND_HALF_UP)
    currency = "GBP" if language == "en" else "EUR"
    issue = random_date(rng)
    doc = Document(
        "receipt",
        language,
        style,
        currency,
        shop,
        None,
        number=f"{rng.randint(1, 9999):04d}-{rng.randint(1, 999):04d}",
        issue_date=issue,
        lines=lines,
        total=total,
        vat=vat,
        net=total - vat,
    )
    doc.extra["time"] = f"{rng.randint(7, 21):02d}:{rng.randint(0, 59):02d}"
    doc.extra["paid_by"] = rng.choice(["cash", "card"])
    doc.fields = {
        "supplier_name": shop.name,
        "supplier_address": shop.address,
        "supplier_vat": shop.vat,
        "issue_date": issue.isoformat(),
        "total_amount": canonical_amount(total),
        "currency": currency,
    }
    doc.fields = {k: v for k, v in doc.fields.items() if v is not None}
    return doc


CONTRACT_SUBJECTS = {
    "it": [
        "la manutenzione ordinaria e straordinaria degli impianti di climatizzazione",
        "la fornitura di servizi di pulizia dei locali aziendali",
        "l'assistenza e manutenzione del software gestionale",
        "la locazione di n. 12 stampanti multifunzione",
        "il servizio di vigilanza notturna della sede",
    ],
    "en": [
        "the provision of cloud hosting and support services",
        "the maintenance of the air conditioning systems",
        "the supply of office cleaning services",
        "the licence and support of the accounting software",
    ],
}


def _contract(rng: random.Random, language: str) -> Document:
    style = choose_style(rng, language)
    first = parties.italian_company(rng)
    second = (
        parties.italian_company(rng)
        if language == "it" or rng.random() < 0.5
        else parties.foreign_company(rng, rng.choice(["GB", "US"]))
    )
    effective = random_date(rng)
    in_years = rng.random() < 0.4
    months = rng.choice([1, 2, 3]) * 12 if in_years else rng.choice([6, 12, 18, 24, 36])
    end = _add_months(effective, months) - dt.timedelta(days=1)
    notice_days = rng.choice([30, 60, 90]) if rng.random() < 0.6 else None
    notice_months = None if notice_days else rng.choice([1, 3, 6])
    auto = rng.random() < 0.5
    amount = Decimal(rng.randint(12, 900) * 100)
    city = rng.choice(["Milano", "Milano", "Roma", "Torino", "Bologna"])
    subject = rng.choice(CONTRACT_SUBJECTS[language])
    doc = Document(
        "contract",
        language,
        style,
        "EUR",
        first,
        second,
        number=f"{rng.randint(1, 300)}/{effective.year}",
        issue_date=effective - dt.timedelta(days=rng.randint(0, 20)),
        total=amount,
    )
    doc.extra.update(
        subject=subject,
        effective=effective,
        end=end,
        months=months,
        in_years=in_years,
        auto=auto,
        notice_days=notice_days,
        notice_months=notice_months,
        city=city,
        title=rng.choice(
            {
                "it": ["CONTRATTO DI SERVIZI", "CONTRATTO DI FORNITURA", "CONTRATTO DI APPALTO"],
                "en": ["SERVICES AGREEMENT", "MASTER SERVICES AGREEMENT", "SUPPLY AGREEMENT"],
            }[language]
        ),
    )
    doc.fields = {
        "parties": [first.name, second.name],
        "subject": subject,
        "effective_date": effective.isoformat(),
        "end_date": end.isoformat(),
        "term": f"P{months // 12}Y" if in_years else f"P{months}M",
        "auto_renewal": auto,
        "notice_period": f"P{notice_days}D" if notice_days else f"P{notice_months}M",
        "amount": canonical_amount(amount),
        "currency": "EUR",
        "jurisdiction": city,
    }
    return doc


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def cig_code(rng: random.Random) -> str:
    """A CIG as ANAC issues them: ten characters, digits and upper-case hex letters."""
    return rng.choice(["Z", "8", "9", "A", "B"]) + "".join(rng.choice("0123456789ABCDEF") for _ in range(9))


def cup_code(rng: random.Random, year: int) -> str:
    """A CUP: fifteen characters (letter, digits, letter, year, serial)."""
    return (
        f"{rng.choice('BCDEFGHIJ')}{rng.randint(10, 99)}{rng.choice('ABCDEFGHIJ')}{year % 100:02d}"
        f"{rng.randint(0, 99_999_999):08d}"[:15]
    )


def _order(rng: random.Random, language: str) -> Document:
    style = choose_style(rng, language)
    public = language == "it" and rng.random() < 0.5
    buyer = parties.italian_public_body(rng) if public else parties.italian_company(rng)
    supplier = parties.italian_company(rng) if language == "it" else parties.foreign_company(rng, "GB")
    issue = random_date(rng)
    lines = make_lines(rng, language, supplier.country if language != "it" else "IT", rng.randint(1, 7))
    rows, net, vat, total = compute_totals(lines)
    number = rng.choice(
        [
            f"{issue.year}/{rng.randint(1, 999):04d}",
            f"PO-{rng.randint(10000, 99999)}",
            f"45{rng.randint(10_000_000, 99_999_999)}",
            f"ODA {rng.randint(1, 800)}/{issue.year}",
        ]
    )
    delivery = issue + dt.timedelta(days=rng.choice([7, 15, 30, 45]))
    currency = "GBP" if supplier.country == "GB" else "EUR"
    doc = Document(
        "order",
        language,
        style,
        currency,
        supplier,
        buyer,
        number=number,
        issue_date=issue,
        lines=lines,
        vat_rows=rows,
        net=net,
        vat=vat,
        total=total,
    )
    doc.extra["delivery"] = delivery if rng.random() < 0.8 else None
    doc.extra["cig"] = cig_code(rng) if public else None
    doc.extra["cup"] = cup_code(rng, issue.year) if public and rng.random() < 0.6 else None
    fields: dict[str, Any] = {
        "order_number": number,
        "order_date": issue.isoformat(),
        "supplier_name": supplier.name,
        "supplier_vat": supplier.vat,
        "customer_name": buyer.name,
        "delivery_date": delivery.isoformat() if doc.extra["delivery"] else None,
        "total_amount": canonical_amount(total),
        "currency": currency,
        "cig": doc.extra["cig"],
        "cup": doc.extra["cup"],
    }
    doc.fields = {k: v for k, v in fields.items() if v is not None}
    return doc
