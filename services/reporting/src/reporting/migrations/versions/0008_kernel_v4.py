"""Kernel tables, version 4: dead letters that hold any record, and the first answers to
``Idempotency-Key`` (issue 19).

Revision ID: 0008
Revises: 0007
"""

from alembic import op

from gsi_kernel.store.ddl import upgrade_kernel_tables_v4

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    upgrade_kernel_tables_v4(op.get_bind())


def downgrade() -> None:
    """Version 4 only widens what the kernel tables accept: nothing to undo that data needs."""
