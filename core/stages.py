"""The list of every stage quinte knows, registered explicitly in one place."""

from __future__ import annotations

from core.registry import StageRegistry, StageSpec


def build_registry() -> StageRegistry:
    """A registry holding every built-in stage; imports are local so start-up loads only what it uses."""
    from contracts.stage import ContractsParams, contracts_stage, register_validated_contract
    from extract.routing import RouteParams, route_stage
    from extract.stage import ExtractParams, extract_stage
    from ingest.pages import PagesParams, pages_stage
    from invoicing.duplicates import DuplicatesParams, duplicates_stage
    from invoicing.order_match import book_and_match
    from invoicing.payables import PayableParams, payable_stage
    from invoicing.stage import FatturaPAParams, fatturapa_stage
    from ocr.archive_stage import ArchiveParams, archive_stage
    from ocr.stage import OcrParams, ocr_stage
    from protocol.stage import RegisterParams, register_stage, register_validated

    registry = StageRegistry()
    registry.register(StageSpec("pages", pages_stage, PagesParams, queue="default",
                                description="split the original into page images"))
    registry.register(StageSpec("fatturapa", fatturapa_stage, FatturaPAParams, queue="default",
                                description="read SdI e-invoices (XML, .p7m) directly, without OCR"))
    registry.register(StageSpec("ocr", ocr_stage, OcrParams, queue="ocr",
                                description="clean pages and recognise words (or reuse a text layer)"))
    registry.register(StageSpec("archive", archive_stage, ArchiveParams, queue="default",
                                description="store a searchable PDF/A copy of the pages and their words"))
    registry.register(StageSpec("extract", extract_stage, ExtractParams, queue="default",
                                description="classify and extract fields, lines and checks"))
    registry.register(StageSpec("route", route_stage, RouteParams, queue="default",
                                description="validate automatically or send to review with reasons"))
    registry.register(StageSpec("register", register_stage, RegisterParams, queue="default",
                                description="protocol validated records in their automatic register",
                                on_validated=register_validated))
    registry.register(StageSpec("duplicates", duplicates_stage, DuplicatesParams, queue="default",
                                description="flag invoices already received (business key or content) for review"))
    registry.register(StageSpec("payable", payable_stage, PayableParams, queue="default",
                                description="book validated invoices and credit notes as payables, matched to orders",
                                on_validated=book_and_match))
    registry.register(StageSpec("contracts", contracts_stage, ContractsParams, queue="default",
                                description="enter validated contracts, orders and DDTs in the contracts register",
                                on_validated=register_validated_contract))
    return registry
