"""Reporting's reviewer assignments (gsi_readmodels.reviewers): a reviewer's organizations come
from GSI's registry, kept from reporting's events, not from the token (ADR 23). The table fills
from the start of reporting's topic, which a new consumer reads from its beginning.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

from gsi_readmodels.reviewers import create_reviewer_assignments_v1, drop_reviewer_assignments

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_reviewer_assignments_v1(op.get_bind())


def downgrade() -> None:
    drop_reviewer_assignments(op.get_bind())
