"""Kernel tables (event store, outbox, consumers) and the persons read model.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from gsi_kernel.store.ddl import create_kernel_tables_v1

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kernel_tables_v1(op.get_bind())
    op.create_table(
        "persons",
        sa.Column("person_id", sa.String(36), primary_key=True),
        sa.Column("organization_id", sa.String(100), nullable=False, index=True),
        sa.Column("family_name", sa.String(200), nullable=False),
        sa.Column("given_name", sa.String(200), nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("sex", sa.String(1), nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("status_since", sa.Date, nullable=False),
        sa.Column("region", sa.String(2)),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    raise RuntimeError("the initial schema is not downgraded: restore from backup instead")
