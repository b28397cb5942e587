"""Checksum validation of identifiers (P.IVA, codice fiscale, EU VAT ids, IBAN); each returns (ok, reason)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError
from stdnum.gb import vat as gb_vat
from stdnum.it import codicefiscale, iva

Result = tuple[bool, str]


def _reason(error: ValidationError, what: str, value: str) -> str:
    """A sentence a reviewer understands for a stdnum failure."""
    if isinstance(error, InvalidChecksum | InvalidComponent) and not isinstance(error, InvalidFormat):
        return f"{what} {value} fails the check digit"
    if isinstance(error, InvalidLength):
        return f"{what} {value} has the wrong number of characters"
    return f"{what} {value} is not well formed"


def validate_piva(value: str) -> Result:
    """An Italian partita IVA (11 digits, with or without the IT prefix)."""
    number = value[2:] if value.upper().startswith("IT") else value
    try:
        iva.validate(number)
    except InvalidComponent:
        # stdnum rejects a bad office code and a bad check digit alike; tell them apart for the reviewer.
        if iva.luhn.is_valid(iva.compact(number)):
            return False, f"P.IVA {number} has an unknown province office code"
        return False, f"P.IVA {number} fails the check digit"
    except ValidationError as error:
        return False, _reason(error, "P.IVA", number)
    return True, "ok"


def validate_tax_code(value: str) -> Result:
    """A codice fiscale: 16 characters for people (omocodia accepted) or 11 digits for companies."""
    try:
        codicefiscale.validate(value)
    except InvalidChecksum:
        return False, f"Codice fiscale {value} fails the check character"
    except ValidationError as error:
        if value.isdigit():
            return validate_piva(value)[0], f"Codice fiscale {value} fails the check digit"
        return False, _reason(error, "Codice fiscale", value)
    return True, "ok"


def validate_vat_id(value: str) -> Result:
    """An EU VAT id with its country prefix (``IT…`` goes through the P.IVA rules)."""
    if value.upper().startswith("IT"):
        return validate_piva(value)
    try:
        if value.upper().startswith("GB"):  # outside the EU since 2021, still on paper that reaches Italy
            gb_vat.validate(value)
        else:
            eu_vat.validate(value)
    except InvalidComponent:
        return False, f"VAT id {value} has an unknown country prefix or fails the check digit"
    except ValidationError as error:
        return False, _reason(error, "VAT id", value)
    return True, "ok"


def validate_iban(value: str) -> Result:
    """An IBAN: the ISO 7064 check digits and, where the country has one, the national check (Italian CIN)."""
    try:
        IBAN(value, validate_bban=True)
    except SchwiftyException as error:
        name = type(error).__name__
        if name == "InvalidBBANChecksum":
            return False, f"IBAN {value} fails the national check character (the Italian CIN)"
        if "Checksum" in name:
            return False, f"IBAN {value} fails the check digits"
        if name in ("InvalidBankCode", "InvalidBranchCode", "InvalidAccountCode", "InvalidStructure"):
            return False, f"IBAN {value} has an invalid bank account part"
        if "Length" in name:
            return False, f"IBAN {value} has the wrong length for its country"
        return False, f"IBAN {value} is not valid ({error})"
    return True, "ok"


# Standard and reduced VAT rates (percent) of the EU states, the UK, Switzerland and Norway, and 0 (exempt,
# reverse charge). A "rate" read off a page that no country applies is a misread price or quantity.
VAT_RATES = frozenset(Decimal(r) for r in (
    "0", "2.1", "2.5", "2.6", "3", "3.7", "3.8", "4", "4.8", "5", "5.5", "6", "7", "7.7", "8", "8.1", "9", "9.5",
    "10", "11", "12", "13", "13.5", "14", "15", "16", "17", "18", "19", "20", "21", "22", "23", "24", "25", "25.5",
    "27",
))


def is_vat_rate(value: str) -> bool:
    """True when the canonical percentage is a VAT rate some European country applies."""
    try:
        return Decimal(value) in VAT_RATES
    except InvalidOperation:
        return False
