"""review UI: record leases and the queue's index

Revision ID: 0003_review
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_review"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_locks",
        sa.Column("record_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("record_id"),
    )
    with op.batch_alter_table("record_locks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_record_locks_expires_at"), ["expires_at"], unique=False)
    # The review queue lists one status oldest first.
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.create_index("ix_records_status_created", ["status", "created_at"], unique=False)
    # The queue's supplier filter looks up one field name across all records.
    with op.batch_alter_table("fields", schema=None) as batch_op:
        batch_op.create_index("ix_fields_name_record", ["name", "record_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("fields", schema=None) as batch_op:
        batch_op.drop_index("ix_fields_name_record")
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.drop_index("ix_records_status_created")
    with op.batch_alter_table("record_locks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_record_locks_expires_at"))
    op.drop_table("record_locks")
