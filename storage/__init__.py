"""Persistence: the relational database (SQLAlchemy + Alembic) and the object store (files or S3)."""
