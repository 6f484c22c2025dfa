"""Kernel tables, interventions counted per quarter, and the reports read model.

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
        "quarter_interventions",
        sa.Column("intervention_id", sa.String(36), primary_key=True),
        sa.Column("organization_id", sa.String(100), nullable=False),
        sa.Column("quarter", sa.String(12), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("code", sa.String(10), nullable=False),
        sa.Column("service_date", sa.Date, nullable=False),
    )
    op.create_index(
        "ix_quarter_interventions_org_quarter", "quarter_interventions", ["organization_id", "quarter"]
    )
    op.create_table(
        "reports",
        sa.Column("report_id", sa.String(200), primary_key=True),
        sa.Column("organization_id", sa.String(100), nullable=False),
        sa.Column("quarter", sa.String(12), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("submission_version", sa.Integer, nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    raise RuntimeError("the initial schema is not downgraded: restore from backup instead")
