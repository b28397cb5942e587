"""contracts register: contracts with deadlines, deadline notices, purchase orders and delivery notes

Revision ID: 0007_contracts
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_contracts"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contracts",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("record_id", sa.String(32), nullable=False, unique=True),
        sa.Column("document_id", sa.String(32), nullable=True, index=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("parties", sa.JSON(), nullable=False),
        sa.Column("party_ids", sa.JSON(), nullable=False),
        sa.Column("amount", sa.String(32), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("effective_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True, index=True),
        sa.Column("term", sa.String(16), nullable=True),
        sa.Column("auto_renewal", sa.Boolean(), nullable=True),
        sa.Column("notice_period", sa.String(16), nullable=True),
        sa.Column("jurisdiction", sa.String(128), nullable=True),
        sa.Column("notice_date", sa.Date(), nullable=True, index=True),
        sa.Column("renewal_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "contract_deadline_notices",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("contract_id", sa.String(32), sa.ForeignKey("contracts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("contract_id", "kind", "due_date"),
    )
    op.create_table(
        "purchase_documents",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False, index=True),
        sa.Column("number", sa.String(64), nullable=False, index=True),
        sa.Column("doc_date", sa.Date(), nullable=True),
        sa.Column("supplier_name", sa.String(256), nullable=True),
        sa.Column("supplier_vat", sa.String(32), nullable=True, index=True),
        sa.Column("customer_name", sa.String(256), nullable=True),
        sa.Column("total_amount", sa.String(32), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("cig", sa.String(10), nullable=True),
        sa.Column("cup", sa.String(15), nullable=True),
        sa.Column("order_reference", sa.String(64), nullable=True, index=True),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("record_id", sa.String(32), nullable=True, unique=True),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("kind", "supplier_vat", "number"),
    )


def downgrade() -> None:
    op.drop_table("purchase_documents")
    op.drop_table("contract_deadline_notices")
    op.drop_table("contracts")
