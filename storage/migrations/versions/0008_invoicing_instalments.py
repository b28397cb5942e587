"""invoicing: instalments paid one by one (status, run item link); outgoing invoices know their order or contract

Revision ID: 0008_invoicing_instalments
Revises: 0004_invoicing
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_invoicing_instalments"
down_revision = "0004_invoicing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inv_instalments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=16), nullable=False, server_default="open"))
    # Payables scheduled or paid before this revision were paid whole: so were their instalments.
    op.execute(
        "UPDATE inv_instalments SET status = (SELECT p.status FROM inv_payables p WHERE p.id = "
        "inv_instalments.payable_id) WHERE payable_id IN (SELECT id FROM inv_payables WHERE status IN "
        "('scheduled', 'paid'))"
    )
    with op.batch_alter_table("inv_payment_run_items", schema=None) as batch_op:
        # NULL on the older items: they paid the whole payable, and the code reads them that way.
        batch_op.add_column(sa.Column("instalment_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_inv_payment_run_items_instalment_id", "inv_instalments", ["instalment_id"], ["id"]
        )
    with op.batch_alter_table("inv_outgoing", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_kind", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("source_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("source_instalment", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("source_instalments", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint("uq_inv_outgoing_source", ["source_kind", "source_id", "source_instalment"])


def downgrade() -> None:
    with op.batch_alter_table("inv_outgoing", schema=None) as batch_op:
        batch_op.drop_constraint("uq_inv_outgoing_source", type_="unique")
        for column in ("source_instalments", "source_instalment", "source_id", "source_kind"):
            batch_op.drop_column(column)
    with op.batch_alter_table("inv_payment_run_items", schema=None) as batch_op:
        batch_op.drop_constraint("fk_inv_payment_run_items_instalment_id", type_="foreignkey")
        batch_op.drop_column("instalment_id")
    with op.batch_alter_table("inv_instalments", schema=None) as batch_op:
        batch_op.drop_column("status")
