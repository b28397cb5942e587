"""supplier memory: per supplier VAT id, the label and relative box of each corrected field

Revision ID: 0006_supplier_memory
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_supplier_memory"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "supplier_hints",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("supplier_vat", sa.String(length=32), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=128), nullable=True),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("box", sa.JSON(), nullable=False),
        sa.Column("example", sa.String(length=256), nullable=True),
        sa.Column("corrections", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("supplier_vat", "field"),
    )
    with op.batch_alter_table("supplier_hints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supplier_hints_supplier_vat"), ["supplier_vat"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("supplier_hints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supplier_hints_supplier_vat"))
    op.drop_table("supplier_hints")
