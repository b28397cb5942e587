"""HTTP access to a record's searchable archive copy (made on request when the archive stage has not run)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response, status

from review_ui.auth import Principal
from review_ui.deps import RuntimeDep, SessionDep, require
from storage.models import Record

router = APIRouter(prefix="/api", tags=["ocr"])
Reader = Annotated[Principal, Depends(require("records:read"))]


@router.get("/records/{record_id}/archive.pdf", responses={200: {"content": {"application/pdf": {}}}})
def get_archive(record_id: str, session: SessionDep, runtime: RuntimeDep, _: Reader) -> Response:
    """The searchable PDF/A copy of the record's document."""
    from core.context import StageContext
    from ocr.archive_stage import ArchiveParams, archive_key, archive_stage

    record = session.get(Record, record_id)
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such record")
    key = archive_key(record.document_id)
    if not runtime.store.exists(key):
        pipeline = runtime.config.pipelines.get(record.pipeline)
        archive_stage(StageContext(runtime, record.document_id, pipeline), ArchiveParams())  # type: ignore[arg-type]
    if not runtime.store.exists(key):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "this document has no page images to archive")
    return Response(runtime.store.get(key), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{record_id}-archive.pdf"'})
