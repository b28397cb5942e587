"""The fatturapa stage: e-invoices from SdI (XML or signed .p7m) read directly into records, no OCR."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from core.context import StageContext
from core.errors import UnreadableDocument
from core.records import apply_extraction
from ingest.sniff import P7M, XML
from invoicing.fatturapa_in import FatturaPAError, P7MError, extract_p7m, parse_fatturapa
from storage.models import Document, Record

E_INVOICE_TYPES = (XML, P7M)


class FatturaPAParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The official XSD (FatturaPA 1.2.2 plus the 1.2.3 code lists); None skips schema validation.
    schema_path: Path | None = None


def is_e_invoice(media_type: str) -> bool:
    return media_type in E_INVOICE_TYPES


def fatturapa_stage(ctx: StageContext, params: FatturaPAParams) -> None:
    """One record per invoice body, with the file's values at confidence 1 and the SdI checks."""
    with ctx.session() as session:
        document = session.get(Document, ctx.document_id)
        assert document is not None
        media_type, object_key = document.media_type, document.object_key
    if not is_e_invoice(media_type):
        return
    data = ctx.store.get(object_key)
    try:
        if media_type == P7M:
            data = extract_p7m(data)
        result = parse_fatturapa(data, schema_path=params.schema_path)
    except (FatturaPAError, P7MError) as exc:
        raise UnreadableDocument(f"not a readable FatturaPA file: {exc}", code="fatturapa_invalid") from exc
    if not result.extractions:
        raise UnreadableDocument("the FatturaPA file has no invoice body", code="fatturapa_invalid")
    with ctx.session() as session:
        records = session.scalars(select(Record).where(Record.document_id == ctx.document_id))
        existing = {record.body_index: record for record in records}
        for index, extraction in enumerate(result.extractions):
            record = existing.get(index)
            if record is None:
                record = Record(document_id=ctx.document_id, body_index=index, pipeline=ctx.pipeline.name)
                session.add(record)
                session.flush()
            if record.status in {"validated", "rejected"}:
                continue
            apply_extraction(session, record, extraction, text="")
