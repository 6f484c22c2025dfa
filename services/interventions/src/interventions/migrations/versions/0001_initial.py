"""Kernel tables, the persons known from registration, and the interventions read model.

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
        "known_persons",
        sa.Column("person_id", sa.String(36), primary_key=True),
        sa.Column("organization_id", sa.String(100), nullable=False, index=True),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("status_since", sa.Date, nullable=False),
        sa.Column("region", sa.String(2)),
    )
    op.create_table(
        "interventions",
        sa.Column("intervention_id", sa.String(36), primary_key=True),
        sa.Column("organization_id", sa.String(100), nullable=False, index=True),
        sa.Column("person_id", sa.String(36), nullable=False, index=True),
        sa.Column("code", sa.String(10), nullable=False),
        sa.Column("service_date", sa.Date, nullable=False),
        sa.Column("duration_minutes", sa.Integer, nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("volet", sa.String(2), nullable=False),
        sa.Column("staff_member", sa.String(200), nullable=False),
        sa.Column("declared_at", UtcDateTime(), nullable=False),
        sa.Column("declared_by", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    raise RuntimeError("the initial schema is not downgraded: restore from backup instead")
