"""users: a session generation, so signing out (or changing the password) ends every copy of a session cookie

Revision ID: 0009_user_sessions
Revises: 0003_review
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_user_sessions"
down_revision = "0003_review"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_generation")
