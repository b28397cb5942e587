"""Fake Italian and foreign companies and people with check-digit-valid VAT ids, tax codes and IBANs."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from schwifty import IBAN
from stdnum import luhn
from stdnum.es import cif
from stdnum.iso7064 import mod_11_10
from stdnum.it import codicefiscale

# (city, CAP, province, Belfiore code for the codice fiscale)
IT_CITIES = [
    ("Milano", "20121", "MI", "F205"),
    ("Roma", "00185", "RM", "H501"),
    ("Torino", "10121", "TO", "L219"),
    ("Napoli", "80133", "NA", "F839"),
    ("Bologna", "40121", "BO", "A944"),
    ("Firenze", "50123", "FI", "D612"),
    ("Genova", "16121", "GE", "D969"),
    ("Venezia", "30121", "VE", "L736"),
    ("Verona", "37121", "VR", "L781"),
    ("Bari", "70121", "BA", "A662"),
    ("Palermo", "90133", "PA", "G273"),
    ("Brescia", "25121", "BS", "B157"),
    ("Bergamo", "24121", "BG", "A794"),
    ("Padova", "35121", "PD", "G224"),
    ("Trento", "38122", "TN", "L378"),
]
IT_STREETS = [
    "Via Roma",
    "Via Garibaldi",
    "Via Giuseppe Mazzini",
    "Corso Vittorio Emanuele II",
    "Viale Europa",
    "Via Dante Alighieri",
    "Piazza della Repubblica",
    "Via XX Settembre",
    "Via dell'Industria",
    "Via Alessandro Manzoni",
    "Viale dei Mille",
    "Via Cavour",
    "Via dell'Artigianato",
    "Corso Italia",
]
IT_SURNAMES = [
    "Rossi",
    "Bianchi",
    "Ferrari",
    "Esposito",
    "Romano",
    "Colombo",
    "Ricci",
    "Marino",
    "Greco",
    "Bruno",
    "Gallo",
    "Conti",
    "De Luca",
    "Mancini",
    "Costa",
    "Giordano",
    "Rizzo",
    "Lombardi",
    "Moretti",
    "Barbieri",
]
IT_NAMES = [
    ("Mario", "M"),
    ("Giuseppe", "M"),
    ("Luca", "M"),
    ("Marco", "M"),
    ("Andrea", "M"),
    ("Francesco", "M"),
    ("Giulia", "F"),
    ("Chiara", "F"),
    ("Francesca", "F"),
    ("Sara", "F"),
    ("Elena", "F"),
    ("Anna", "F"),
]
IT_COMPANY_WORDS = [
    "Tecnoservizi",
    "Officine Meccaniche",
    "Forniture Industriali",
    "Edilnord",
    "Cartotecnica",
    "Idrotermica",
    "Logistica",
    "Informatica",
    "Elettroimpianti",
    "Arredamenti",
    "Grafiche",
    "Trasporti",
    "Studio Associato",
    "Alimentari",
    "Ferramenta",
]
IT_COMPANY_TAILS = ["Lombarda", "Adriatica", "del Nord", "Italia", "Padana", "Tirrenica", "Alpina", "Centro"]
IT_LEGAL_FORMS = ["S.r.l.", "S.p.A.", "S.n.c.", "S.a.s.", "Srl", "S.r.l.s."]
IT_PUBLIC = ["Comune di {city}", "ASL {city}", "Università degli Studi di {city}", "Provincia di {city}"]

FOREIGN = {
    "DE": {
        "names": ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann"],
        "words": ["Maschinenbau", "Elektrotechnik", "Logistik", "Software", "Industriebedarf"],
        "forms": ["GmbH", "AG", "GmbH & Co. KG"],
        "streets": ["Hauptstraße", "Bahnhofstraße", "Industriestraße", "Schillerstraße", "Gartenweg"],
        "cities": [("80331", "München"), ("10115", "Berlin"), ("20095", "Hamburg"), ("70173", "Stuttgart")],
        "currency": "EUR",
    },
    "FR": {
        "names": ["Dupont", "Martin", "Bernard", "Lefèvre", "Moreau", "Laurent"],
        "words": ["Industries", "Services", "Distribution", "Technologies", "Équipements"],
        "forms": ["SAS", "SARL", "SA"],
        "streets": ["rue de la République", "avenue Jean Jaurès", "boulevard Voltaire", "rue Victor Hugo"],
        "cities": [("69002", "Lyon"), ("75011", "Paris"), ("13001", "Marseille"), ("31000", "Toulouse")],
        "currency": "EUR",
    },
    "ES": {
        "names": ["García", "Fernández", "López", "Martínez", "Sánchez", "Pérez"],
        "words": ["Suministros", "Ingeniería", "Distribuciones", "Tecnología", "Servicios"],
        "forms": ["S.L.", "S.A."],
        "streets": ["Calle Mayor", "Avenida de la Constitución", "Calle Real", "Paseo de Gracia"],
        "cities": [("28013", "Madrid"), ("08007", "Barcelona"), ("46002", "Valencia"), ("41001", "Sevilla")],
        "currency": "EUR",
    },
    "GB": {
        "names": ["Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans"],
        "words": ["Engineering", "Supplies", "Consulting", "Systems", "Trading"],
        "forms": ["Ltd", "Limited", "PLC"],
        "streets": ["High Street", "Station Road", "Church Lane", "Victoria Road", "Mill Lane"],
        "cities": [("EC1A 1BB", "London"), ("M1 1AE", "Manchester"), ("B1 1AA", "Birmingham")],
        "currency": "GBP",
    },
    "US": {
        "names": ["Johnson", "Miller", "Davis", "Anderson", "Clark", "Walker"],
        "words": ["Industries", "Technologies", "Supply Co.", "Solutions", "Manufacturing"],
        "forms": ["Inc.", "LLC", "Corp."],
        "streets": ["Main Street", "Oak Avenue", "Maple Drive", "Park Boulevard", "Lake Road"],
        "cities": [("97201", "Portland, OR"), ("94105", "San Francisco, CA"), ("10001", "New York, NY")],
        "currency": "USD",
    },
}
COUNTRY_NAMES = {"DE": "Germany", "FR": "France", "ES": "Spain", "GB": "United Kingdom", "US": "USA"}
COUNTRY_LANGUAGE = {"IT": "it", "DE": "de", "FR": "fr", "ES": "es", "GB": "en", "US": "en"}


@dataclass(frozen=True, slots=True)
class Party:
    """A company, public body or person as it appears in a document's header."""

    name: str
    street: str
    city_line: str
    country: str
    vat: str | None = None  # canonical: country prefix + compact number
    vat_display: str | None = None  # as printed after the label
    tax_code: str | None = None  # Italian codice fiscale
    extra_id: str | None = None  # e.g. a US EIN, printed but not a VAT id
    representative: str | None = None  # the person who signs for a company

    @property
    def address(self) -> str:
        """Canonical one-line address, as the truth JSON carries it."""
        return f"{self.street}, {self.city_line}"

    @property
    def address_lines(self) -> list[str]:
        return [self.street, self.city_line]


def italian_vat(rng: random.Random) -> str:
    """An 11-digit partita IVA: 7 serial digits, a province office code, the Luhn check digit."""
    serial = f"{rng.randint(1, 9_999_999):07d}"
    office = f"{rng.randint(1, 100):03d}"
    body = serial + office
    return body + luhn.calc_check_digit(body)


def codice_fiscale(rng: random.Random, surname: str, name: str, sex: str, birth: dt.date, belfiore: str) -> str:
    """A personal codice fiscale built by the official rules, with its check letter."""
    body = (
        _cf_surname(surname)
        + _cf_name(name)
        + f"{birth.year % 100:02d}"
        + "ABCDEHLMPRST"[birth.month - 1]
        + f"{birth.day + (40 if sex == 'F' else 0):02d}"
        + belfiore
    )
    return body + codicefiscale.calc_check_digit(body)


def _letters(text: str) -> tuple[list[str], list[str]]:
    letters = [c for c in text.upper() if c.isalpha() and c.isascii()]
    vowels = [c for c in letters if c in "AEIOU"]
    return [c for c in letters if c not in "AEIOU"], vowels


def _cf_surname(surname: str) -> str:
    consonants, vowels = _letters(surname)
    return "".join(consonants + vowels + ["X", "X", "X"])[:3]


def _cf_name(name: str) -> str:
    consonants, vowels = _letters(name)
    if len(consonants) >= 4:
        consonants = [consonants[0], consonants[2], consonants[3]]
    return "".join(consonants + vowels + ["X", "X", "X"])[:3]


def italian_person(rng: random.Random) -> tuple[str, str]:
    """A person's full name and a valid codice fiscale for them."""
    surname = rng.choice(IT_SURNAMES)
    name, sex = rng.choice(IT_NAMES)
    birth = dt.date(rng.randint(1950, 1995), rng.randint(1, 12), rng.randint(1, 28))
    belfiore = rng.choice(IT_CITIES)[3]
    return f"{name} {surname}", codice_fiscale(rng, surname, name, sex, birth, belfiore)


def _it_address(rng: random.Random) -> tuple[str, str, str]:
    city, cap, prov, _ = rng.choice(IT_CITIES)
    street = f"{rng.choice(IT_STREETS)} {rng.randint(1, 180)}"
    if rng.random() < 0.2:
        street += rng.choice(["/A", "/B", " bis"])
    return street, f"{cap} {city} ({prov})", city


def italian_company(rng: random.Random) -> Party:
    """An Italian company; a sole trader carries a personal codice fiscale besides the partita IVA."""
    street, city_line, city = _it_address(rng)
    vat = italian_vat(rng)
    person, cf = italian_person(rng)
    if rng.random() < 0.2:
        name = f"{rng.choice(IT_COMPANY_WORDS)} di {person}"
        tax_code = cf
    else:
        tail = rng.choice([*IT_COMPANY_TAILS, rng.choice(IT_SURNAMES), city])
        name = f"{rng.choice(IT_COMPANY_WORDS)} {tail} {rng.choice(IT_LEGAL_FORMS)}"
        tax_code = vat
    display = rng.choice([vat, f"IT{vat}", f"IT {vat}"])
    return Party(name, street, city_line, "IT", f"IT{vat}", display, tax_code, representative=person)


def italian_public_body(rng: random.Random) -> Party:
    """A public administration customer: codice fiscale of 11 digits, often also a partita IVA."""
    street, city_line, city = _it_address(rng)
    number = italian_vat(rng)
    person, _ = italian_person(rng)
    name = rng.choice(IT_PUBLIC).format(city=city)
    return Party(name, street, city_line, "IT", f"IT{number}", number, number, representative=person)


def private_customer(rng: random.Random) -> Party:
    """A consumer: no VAT id, only a personal codice fiscale."""
    street, city_line, _ = _it_address(rng)
    person, cf = italian_person(rng)
    return Party(person, street, city_line, "IT", None, None, cf)


def foreign_company(rng: random.Random, country: str) -> Party:
    """A company in DE, FR, ES, GB or US with a VAT id that validates (EIN for the US, not a VAT id)."""
    spec = FOREIGN[country]
    surname = rng.choice(spec["names"])
    name = f"{surname} {rng.choice(spec['words'])} {rng.choice(spec['forms'])}"
    postcode, city = rng.choice(spec["cities"])
    number = rng.randint(1, 150)
    if country in ("DE", "ES"):
        street = f"{rng.choice(spec['streets'])} {number}"
    elif country == "FR":
        street = f"{number} {rng.choice(spec['streets'])}"
    else:
        street = f"{number} {rng.choice(spec['streets'])}"
    city_line = f"{city} {postcode}" if country == "US" else f"{postcode} {city}"
    city_line += f", {COUNTRY_NAMES[country]}"
    representative = f"{rng.choice(['Anna', 'Thomas', 'Claire', 'Javier', 'James', 'Laura'])} {surname}"
    if country == "US":
        ein = f"{rng.randint(10, 98):02d}-{rng.randint(0, 9_999_999):07d}"
        return Party(name, street, city_line, country, extra_id=f"EIN {ein}", representative=representative)
    compact = foreign_vat_number(rng, country)
    display = rng.choice([f"{country}{compact}", f"{country} {compact}"])
    return Party(name, street, city_line, country, f"{country}{compact}", display, representative=representative)


def foreign_vat_number(rng: random.Random, country: str) -> str:
    """The compact national part of a VAT id for DE, FR, ES or GB, with valid check digits."""
    if country == "DE":
        body = f"{rng.randint(1, 9)}{rng.randint(0, 9_999_999):07d}"
        return body + mod_11_10.calc_check_digit(body)
    if country == "FR":
        siren_body = f"{rng.randint(10_000_000, 99_999_999)}"
        siren = siren_body + luhn.calc_check_digit(siren_body)
        return f"{int(siren + '12') % 97:02d}{siren}"
    if country == "ES":
        body = f"{rng.choice('AB')}{rng.randint(1, 50):02d}{rng.randint(0, 99_999):05d}"
        return body + cif.calc_check_digits(body)[0]
    if country == "GB":
        body = f"{rng.randint(100, 999)}{rng.randint(0, 9999):04d}"
        weights = (8, 7, 6, 5, 4, 3, 2)
        check = -sum(w * int(d) for w, d in zip(weights, body, strict=True)) % 97
        return f"{body}{check:02d}"
    raise ValueError(f"no VAT id scheme for {country}")


def italian_iban(rng: random.Random) -> str:
    """A compact Italian IBAN (ABI, CAB, 12-character account) with valid CIN and check digits."""
    abi = rng.choice(["03069", "02008", "05034", "03111", "05696", "01030", "03440", "06230"])
    cab = f"{rng.randint(1000, 99999):05d}"
    account = f"{rng.randint(0, 10**12 - 1):012d}"
    return IBAN.generate("IT", bank_code=abi + cab, account_code=account).compact


def foreign_iban(rng: random.Random, country: str) -> str | None:
    """A valid IBAN for the country's banks; the US has none."""
    if country == "DE":
        return IBAN.generate(
            "DE", bank_code=f"{rng.randint(10000000, 89999999)}", account_code=f"{rng.randint(0, 10**10 - 1):010d}"
        ).compact
    if country == "FR":
        return IBAN.generate(
            "FR",
            bank_code=f"{rng.randint(10000, 39999)}",
            branch_code=f"{rng.randint(0, 99999):05d}",
            account_code=f"{rng.randint(0, 10**11 - 1):011d}",
        ).compact
    if country == "ES":
        return IBAN.generate(
            "ES",
            bank_code=f"{rng.choice(['2100', '0049', '0182', '0081'])}",
            branch_code=f"{rng.randint(0, 9999):04d}",
            account_code=f"{rng.randint(0, 10**10 - 1):010d}",
        ).compact
    if country == "GB":
        return IBAN.generate(
            "GB",
            bank_code=rng.choice(["NWBK", "BARC", "LOYD", "MIDL"]),
            branch_code=f"{rng.randint(0, 999999):06d}",
            account_code=f"{rng.randint(0, 10**8 - 1):08d}",
        ).compact
    return None


def format_iban(iban: str, rng: random.Random) -> str:
    """Printed IBANs are grouped by four more often than not."""
    if rng.random() < 0.6:
        return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    return iban
