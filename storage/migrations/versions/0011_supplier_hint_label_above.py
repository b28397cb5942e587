"""supplier memory: whether a remembered label heads the value's column instead of preceding it on its row

Revision ID: 0011_supplier_hint_label_above
Revises: 0006_supplier_memory
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_supplier_hint_label_above"
down_revision = "0006_supplier_memory"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("supplier_hints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("label_above", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("supplier_hints", schema=None) as batch_op:
        batch_op.drop_column("label_above")
