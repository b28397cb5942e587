"""Helpers shared by the protocol tests: a register, registration data, a stored record."""

from __future__ import annotations

import hashlib
import uuid

from protocol.config import RegisterConfig
from protocol.service import RegistrationData
from storage.db import Database
from storage.models import Document, FieldRow, Record

REGISTER = RegisterConfig(code="generale", administration="c_h501", administration_name="Comune di Esempio",
                          aoo="AOO_GEN", kind="tuda", pipelines=["passive_invoices", "auto"], automatic=True)


def data(index: int = 0, **overrides: object) -> RegistrationData:
    values: dict[str, object] = {
        "correspondent": f"Fornitore {index} S.r.l.", "subject": f"Fattura n. {index} del 2026-01-10",
        "fingerprint": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "correspondent_vat": "IT01234567890",
        "sender_number": str(index), "sender_date": "2026-01-10", "file_name": f"scan-{index}.pdf",
        "media_type": "application/pdf",
    }
    values.update(overrides)
    return RegistrationData(**values)  # type: ignore[arg-type]


def migrated(url: str) -> Database:
    db = Database(url)
    db.migrate()
    return db


def stored_record(db: Database, *, status: str = "validated", pipeline: str = "passive_invoices",
                  content: bytes | None = None, object_key: str = "documents/x/original.pdf",
                  media_type: str = "application/pdf") -> str:
    """A document and its invoice record, as the capture stages would have left them."""
    content = content or uuid.uuid4().bytes
    with db.session() as session:
        document = Document(sha256=hashlib.sha256(content).hexdigest(), pipeline=pipeline, source="inbox/x.pdf",
                            original_name="fattura-5573.pdf", media_type=media_type, size=len(content),
                            object_key=object_key)
        session.add(document)
        session.flush()
        record = Record(document_id=document.id, pipeline=pipeline, doc_type="invoice", doc_type_confidence=0.99,
                        status=status)
        for name, value in {"supplier_name": "ACME S.p.A.", "supplier_vat": "IT01234567890",
                            "invoice_number": "5573", "issue_date": "2026-03-02", "total_amount": "122.00",
                            "currency": "EUR"}.items():
            record.fields.append(FieldRow(name=name, value=value, machine_value=value, confidence=0.99))
        session.add(record)
        session.flush()
        return record.id
