"""Kernel tables, version 2: ``events.projected`` (ADR 16).

Revision ID: 0003
Revises: 0002
"""

from alembic import op

from gsi_kernel.store.ddl import upgrade_kernel_tables_v2

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    upgrade_kernel_tables_v2(op.get_bind())


def downgrade() -> None:
    op.drop_column("events", "projected")
