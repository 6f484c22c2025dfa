"""Kernel tables and the inbox read model.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from gsi_kernel.store.ddl import create_kernel_tables_v1
from gsi_kernel.store.types import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kernel_tables_v1(op.get_bind())
    op.create_table(
        "inbox",
        sa.Column("notice_id", sa.String(36), primary_key=True),
        sa.Column("dedupe_key", sa.String(300), nullable=False, unique=True),
        sa.Column("organization_id", sa.String(100), nullable=False, index=True),
        sa.Column("audience", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("quarter", sa.String(12)),
        sa.Column("title_fr", sa.String(300), nullable=False),
        sa.Column("title_en", sa.String(300), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("traceparent", sa.String(55)),
    )


def downgrade() -> None:
    raise RuntimeError("the initial schema is not downgraded: restore from backup instead")
