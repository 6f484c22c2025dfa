"""Kernel tables, version 3: ``parked_events``, the events a projection could not apply (ADR 6).

Revision ID: 0004
Revises: 0003
"""

from alembic import op

from gsi_kernel.store.ddl import upgrade_kernel_tables_v3

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    upgrade_kernel_tables_v3(op.get_bind())


def downgrade() -> None:
    op.drop_table("parked_events")
