"""Duplicate invoices: the same invoice arriving twice, caught by business key (OCR-tolerant) and content hash."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.context import StageContext
from core.records import touch
from ingest.sniff import P7M
from invoicing.fatturapa_in import FatturaPAError, P7MError, extract_p7m
from invoicing.models import InvoiceKey
from storage.models import Document, Record
from storage.objects import ObjectStore

PAYABLE_TYPES = ("invoice", "credit_note")
CHECK_CODE = "probable_duplicate"
# Characters OCR confuses in invoice numbers; mapped on both sides, so genuine letters still compare equal.
_CONFUSABLE = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "|": "1", "S": "5", "B": "8",
                             "Z": "2"})
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")


def normalise_number(number: str) -> str:
    """An invoice number as compared: upper case, OCR look-alikes folded to digits, separators dropped."""
    return _NOT_ALNUM.sub("", number.upper().translate(_CONFUSABLE))


def normalise_vat(vat: str) -> str:
    """A VAT id with its country prefix (a bare 11-digit number is Italian)."""
    compact = re.sub(r"[^0-9A-Z]", "", vat.upper())
    return f"IT{compact}" if re.fullmatch(r"[0-9]{11}", compact) else compact


def within_one_edit(a: str, b: str) -> bool:
    """Levenshtein distance ≤ 1, in linear time."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            # substitution (same length) or one extra character in b
            return a[i + 1:] == b[i + 1:] if len(a) == len(b) else a[i:] == b[i + 1:]
    return True  # b is a with one character appended


def to_cents(value: Any) -> int | None:
    """A canonical amount string as integer cents; None when absent or not a number."""
    if value is None:
        return None
    try:
        return int((Decimal(str(value)) * 100).to_integral_value())
    except InvalidOperation:
        return None


def from_cents(cents: int) -> str:
    """Integer cents as a canonical amount string: ``-25.00``."""
    return f"{Decimal(cents).scaleb(-2):.2f}"


def content_sha256(store: ObjectStore, document: Document) -> str:
    """The hash of the invoice content: for a signed .p7m the XML inside, so a signed and a plain copy match."""
    if document.media_type == P7M:
        try:
            return hashlib.sha256(extract_p7m(store.get(document.object_key))).hexdigest()
        except (P7MError, FatturaPAError):
            pass
    return document.sha256


def record_values(record: Record) -> dict[str, Any]:
    return {row.name: row.value for row in record.fields if row.value is not None}


def upsert_key(session: Session, record: Record, content_hash: str) -> InvoiceKey:
    """Store (or refresh, after a correction) the record's business key and content hash."""
    values = record_values(record)
    number = str(values["invoice_number"]) if values.get("invoice_number") else None
    issue = str(values.get("issue_date") or "")
    key = session.get(InvoiceKey, record.id) or InvoiceKey(record_id=record.id)
    key.document_id = record.document_id
    key.kind = record.doc_type or "invoice"
    key.supplier_vat = normalise_vat(str(values["supplier_vat"])) if values.get("supplier_vat") else None
    key.number = number
    key.number_norm = normalise_number(number) if number else None
    key.year = int(issue[:4]) if re.match(r"^[0-9]{4}-", issue) else None
    key.total_cents = to_cents(values.get("total_amount"))
    key.content_sha256 = content_hash
    session.add(key)
    session.flush()
    return key


@dataclass(frozen=True, slots=True)
class Match:
    """An earlier record that looks like the same invoice, and why."""

    record_id: str
    reason: str


def _business_match(key: InvoiceKey, other: InvoiceKey) -> str | None:
    if not key.number_norm or not other.number_norm:
        return None
    if key.number_norm == other.number_norm:
        return f"same supplier, number and year ({other.number})"
    # One edit apart could also be the next invoice of the sequence: only with the same total is it the same one.
    if within_one_edit(key.number_norm, other.number_norm) and key.total_cents is not None \
            and key.total_cents == other.total_cents:
        return f"same supplier, year and total, number {other.number} one character apart"
    return None


def find_duplicates(session: Session, key: InvoiceKey) -> list[Match]:
    """Other live records of another document with the same content or the same business key."""
    business = (InvoiceKey.supplier_vat == key.supplier_vat) & (InvoiceKey.year == key.year) & (
        InvoiceKey.kind == key.kind)
    condition = InvoiceKey.content_sha256 == key.content_sha256
    if key.supplier_vat and key.year:
        condition = or_(condition, business)
    rows = session.execute(
        select(InvoiceKey, Record.status).join(Record, Record.id == InvoiceKey.record_id)
        .where(condition, InvoiceKey.document_id != key.document_id,
               Record.status.not_in(("rejected", "failed")))
        .order_by(InvoiceKey.created_at)
    ).all()
    matches = []
    for other, _status in rows:
        if other.content_sha256 == key.content_sha256:
            matches.append(Match(other.record_id, "same file content"))
            continue
        reason = _business_match(key, other) if other.supplier_vat == key.supplier_vat else None
        if reason:
            matches.append(Match(other.record_id, reason))
    return matches


def duplicate_check(matches: list[Match]) -> dict[str, Any]:
    first = matches[0]
    others = f" (and {len(matches) - 1} more)" if len(matches) > 1 else ""
    return {"code": CHECK_CODE, "field": "invoice_number", "severity": "error",
            "message": f"probable duplicate of record {first.record_id}: {first.reason}{others}"}


def flag_record(session: Session, store: ObjectStore, record: Record) -> list[Match]:
    """Refresh the record's key and its probable_duplicate check; the matches found."""
    key = upsert_key(session, record, content_sha256(store, record.document))
    matches = find_duplicates(session, key)
    checks = [c for c in record.checks or [] if c.get("code") != CHECK_CODE]
    if matches:
        checks.append(duplicate_check(matches))
    if checks != (record.checks or []):
        record.checks = checks
        touch(record)
    return matches


def is_flagged(record: Record) -> bool:
    return any(c.get("code") == CHECK_CODE for c in record.checks or [])


class DuplicatesParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


def duplicates_stage(ctx: StageContext, params: DuplicatesParams) -> None:
    """Flag invoices and credit notes already received, so route sends them to review instead of booking them."""
    with ctx.session() as session:
        records = session.scalars(select(Record).where(Record.document_id == ctx.document_id)).all()
        for record in records:
            if record.doc_type not in PAYABLE_TYPES or record.status in {"validated", "rejected", "failed"}:
                continue  # a person's decision stands; only undecided invoices are (re)checked
            flag_record(session, ctx.store, record)
