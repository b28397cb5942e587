"""Storage against the real things: migrations and models on SQLite and PostgreSQL, objects on files and S3."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import Document, FieldRow, Record
from storage.objects import LocalObjectStore, ObjectNotFound, check_key, open_object_store
from tests.conftest import S3_KEY, S3_SECRET


def test_migrations_create_every_table_and_are_idempotent(database_url: str) -> None:
    db = Database(database_url)
    db.migrate()
    db.migrate()
    tables = set(inspect(db.engine).get_table_names())
    assert {"documents", "records", "fields", "pages", "words", "stage_runs", "events", "users", "intake"} <= tables
    db.dispose()


def test_document_content_hash_is_unique_and_fields_cascade(database_url: str) -> None:
    db = Database(database_url)
    db.migrate()
    with db.session() as session:
        doc = Document(sha256="a" * 64, pipeline="auto", source="s", original_name="n", media_type="x",
                       size=1, object_key="k")
        session.add(doc)
        session.flush()
        record = Record(document_id=doc.id, pipeline="auto")
        record.fields.append(FieldRow(name="total_amount", value="1.00", machine_value="1.00"))
        session.add(record)
    with pytest.raises(IntegrityError), db.session() as session:
        session.add(Document(sha256="a" * 64, pipeline="auto", source="s", original_name="n", media_type="x",
                             size=1, object_key="k"))
    with db.session() as session:
        stored = session.scalar(select(Record))
        assert stored is not None and stored.fields[0].value == "1.00"
    db.dispose()


def _exercise(store) -> None:  # type: ignore[no-untyped-def]
    store.put("documents/abc/pages/0001.png", b"first")
    store.put("documents/abc/pages/0001.png", b"second")  # same key replaces
    assert store.get("documents/abc/pages/0001.png") == b"second"
    assert store.exists("documents/abc/pages/0001.png")
    assert not store.exists("documents/abc/pages/0002.png")
    with pytest.raises(ObjectNotFound):
        store.get("documents/abc/pages/0002.png")
    store.delete("documents/abc/pages/0001.png")
    assert not store.exists("documents/abc/pages/0001.png")
    assert store.check()


def test_local_object_store(tmp_path: Path) -> None:
    _exercise(LocalObjectStore(tmp_path / "objects"))


def test_s3_object_store_against_real_endpoint(s3_storage_url: str) -> None:
    _exercise(open_object_store(s3_storage_url, access_key=S3_KEY, secret_key=S3_SECRET))


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs", "a/../b", "a//b", "", "x" * 300])
def test_object_keys_never_become_paths_outside_the_store(key: str) -> None:
    with pytest.raises(ValueError):
        check_key(key)


def test_s3_without_credentials_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="QUINTE_S3_ACCESS_KEY"):
        open_object_store("s3://bucket?endpoint=http://127.0.0.1:9")
