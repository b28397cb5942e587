"""``quinte check``: configuration, pipelines and a connection to every configured service."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from urllib.parse import urlparse

from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from core.config import ConfigError, load_pipelines
from core.sections import validate_sections
from core.settings import load_settings
from core.stages import build_registry
from storage.db import Database
from storage.objects import open_object_store


def _broker(url: str) -> str:
    scheme = urlparse(url).scheme
    if scheme == "memory":
        return "in-process queue"
    if scheme.startswith("redis"):
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=5).ping()
        return f"Redis at {urlparse(url).hostname}"
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(url))
    connection.close()
    return f"RabbitMQ at {urlparse(url).hostname}"


def _tesseract(languages: set[str]) -> str:
    if shutil.which("tesseract") is None:
        raise RuntimeError("tesseract is not installed (apt-get install tesseract-ocr)")
    listed = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, check=True).stdout
    available = set(listed.split()[1:])
    missing = languages - available
    if missing:
        raise RuntimeError(f"missing Tesseract languages: {', '.join(sorted(missing))}")
    return f"languages {', '.join(sorted(languages))} present"


def run_checks(console: Console) -> bool:
    table = Table("check", "result", "detail")
    ok = True

    def step(name: str, action: Callable[[], str]) -> object:
        nonlocal ok
        try:
            detail = action()
            table.add_row(name, "[green]ok[/green]", detail)
            return detail
        except Exception as exc:
            ok = False
            table.add_row(name, "[red]FAIL[/red]", str(exc).strip().replace("\n", "; ")[:400])
            return None

    settings = None
    try:
        settings = load_settings()
        table.add_row("settings", "[green]ok[/green]", "environment and .env")
    except ValueError as exc:
        table.add_row("settings", "[red]FAIL[/red]", str(exc))
        console.print(table)
        return False
    registry = build_registry()
    config = None
    try:
        config = load_pipelines(settings.pipelines, registry)
        validate_sections(config)
        table.add_row("pipelines", "[green]ok[/green]", f"{', '.join(config.pipelines)} from {settings.pipelines}")
    except ConfigError as exc:
        ok = False
        table.add_row("pipelines", "[red]FAIL[/red]", "\n".join(exc.problems))

    def database() -> str:
        db = Database(settings.database_url)
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        db.dispose()
        return f"{db.engine.dialect.name} reachable"

    step("database", database)
    step("broker", lambda: _broker(settings.broker_url))
    step("object store", lambda: open_object_store(
        settings.storage_url,
        access_key=settings.s3_access_key.get_secret_value() if settings.s3_access_key else None,
        secret_key=settings.s3_secret_key.get_secret_value() if settings.s3_secret_key else None,
    ).check())
    languages: set[str] = {"osd"}
    if config:
        for pipeline in config.pipelines.values():
            if "ocr" in pipeline.stage_names:
                languages.update(pipeline.params("ocr").languages.split("+"))  # type: ignore[attr-defined]
    step("tesseract", lambda: _tesseract(languages))
    step("poppler", lambda: "pdftoppm present" if shutil.which("pdftoppm") else (_ for _ in ()).throw(
        RuntimeError("pdftoppm missing (apt-get install poppler-utils)")))
    console.print(table)
    return ok
