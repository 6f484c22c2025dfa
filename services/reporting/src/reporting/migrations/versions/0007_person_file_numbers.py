"""The persons read model, version 2 (gsi_readmodels): each person's file number, so that
reporting names persons by it (persons registered before it get theirs with
registration's ``PersonFileNumberAssigned``).

Revision ID: 0007
Revises: 0006
"""

from alembic import op

from gsi_readmodels.persons import downgrade_person_tables_v2, upgrade_person_tables_v2

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    upgrade_person_tables_v2(op.get_bind())


def downgrade() -> None:
    downgrade_person_tables_v2(op.get_bind())
